// `pimops ingest snapshot` against the loopback fake: state lands with its observation time,
// standing access then comes from the snapshot and equals the generator's state, role settings
// are flattened, and a refused endpoint is named with its permission.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { generateTenant, groundTruth, scheduleInstances, ROLES } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { ingestSnapshot } from '../cli/pulls.js';
import { metricsReport } from '../reports/metrics.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
let fake: FakeAzure;
const t = generateTenant({ seed: 41, admins: 8, start: new Date('2026-09-01T00:00:00Z'), days: 30 });
const OBSERVED = t.end;

function rule(id: string, extra: Record<string, unknown>) {
  return { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyRule', id, ...extra };
}

beforeAll(async () => {
  fake = await startFakeAzure();
  Object.assign(process.env, fakeEnv(fake));
  const principal = (p: { id: string; upn?: string; type: string }) => ({
    '@odata.type': `#microsoft.graph.${p.type === 'User' ? 'user' : p.type === 'ServicePrincipal' ? 'servicePrincipal' : 'group'}`,
    'id': p.id,
    'userPrincipalName': p.upn ?? null,
  });
  // As Graph lists them: a role a group holds is the group's instance and one per member (memberType Group).
  const instances = scheduleInstances(t, OBSERVED);
  fake.state['/roleManagement/directory/roleAssignmentScheduleInstances'] = [
    ...instances.active,
    // An activation in progress: an instance, but not an assignment.
    {
      id: 'act-1',
      principalId: t.admins[0].id,
      roleDefinitionId: ROLES.userAdmin.id,
      directoryScopeId: '/',
      startDateTime: '2026-09-30T22:00:00Z',
      endDateTime: '2026-10-01T02:00:00Z',
      memberType: 'Direct',
      assignmentType: 'Activated',
      principal: principal(t.admins[0]),
    },
  ];
  fake.state['/roleManagement/directory/roleEligibilityScheduleInstances'] = instances.eligible;
  fake.state['/policies/roleManagementPolicyAssignments'] = [
    {
      id: `DirectoryRole_x_${ROLES.globalAdmin.id}`,
      policyId: 'DirectoryRole_x_p1',
      roleDefinitionId: ROLES.globalAdmin.id,
      scopeId: '/',
      scopeType: 'DirectoryRole',
      policy: {
        id: 'p1',
        rules: [
          rule('Expiration_EndUser_Assignment', { isExpirationRequired: true, maximumDuration: 'PT8H' }),
          rule('Enablement_EndUser_Assignment', { enabledRules: ['Justification', 'MultiFactorAuthentication'] }),
          rule('Approval_EndUser_Assignment', {
            setting: {
              isApprovalRequired: true,
              approvalStages: [
                {
                  approvalStageTimeOutInDays: 1,
                  primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', 'userId': 'u1' }],
                },
              ],
            },
          }),
          rule('AuthenticationContext_EndUser_Assignment', { isEnabled: false, claimValue: '' }),
          rule('Expiration_Admin_Eligibility', { isExpirationRequired: false, maximumDuration: 'P365D' }),
          rule('Expiration_Admin_Assignment', { isExpirationRequired: true, maximumDuration: 'P180D' }),
        ],
      },
    },
    {
      id: `DirectoryRole_x_${ROLES.helpdeskAdmin.id}`,
      policyId: 'DirectoryRole_x_p2',
      roleDefinitionId: ROLES.helpdeskAdmin.id,
      scopeId: '/',
      scopeType: 'DirectoryRole',
      policy: {
        id: 'p2',
        rules: [
          rule('Expiration_EndUser_Assignment', { isExpirationRequired: true, maximumDuration: 'PT1H30M' }),
          rule('Enablement_EndUser_Assignment', { enabledRules: [] }),
          rule('Approval_EndUser_Assignment', { setting: { isApprovalRequired: false, approvalStages: [] } }),
          rule('Expiration_Admin_Assignment', { isExpirationRequired: false }),
        ],
      },
    },
  ];
  fake.state['/roleManagement/directory/roleDefinitions'] = Object.values(ROLES).map((r) => ({
    id: r.id,
    displayName: r.name,
    isBuiltIn: true,
    isPrivileged: r.id === ROLES.globalAdmin.id,
  }));
  fake.state['/identityGovernance/accessReviews/definitions'] = 403;
  for (const a of [...t.admins, ...t.breakGlass]) {
    fake.users[a.id] = {
      id: a.id,
      userPrincipalName: a.upn,
      displayName: a.name,
      accountEnabled: true,
      lastPasswordChangeDateTime: '2026-01-01T00:00:00Z',
      signInActivity: { lastSignInDateTime: '2026-09-29T10:00:00Z' },
      manager: { id: t.admins[0].id },
    };
  }
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe('ingest snapshot', () => {
  it('lands state with its observation time; standing access then comes from it and matches the tenant', async () => {
    const d = join(tmp.dir, 's1');
    const config = testConfig({ breakGlassAccounts: t.breakGlass.map((b) => b.upn!), azure: fakeAzureConfig(fake) }, d);
    const db = join(d, 'p.duckdb');
    const r = await ingestSnapshot(db, config, OBSERVED);
    expect(r.endpoints.find((e) => e.name === 'accessReviewDefinitions')?.error).toMatch(/AccessReview\.Read\.All/);
    expect(r.endpoints.find((e) => e.name === 'roleAssignmentScheduleInstances')).toMatchObject({
      records: expect.any(Number),
    });
    expect(r.endpoints.find((e) => e.name === 'users')?.records).toBeGreaterThan(3);

    const report = await withDb(db, config, (x) =>
      metricsReport(x, config, {
        from: new Date('2026-09-01T00:00:00Z'),
        to: OBSERVED,
        asOf: new Date(OBSERVED.getTime() + 1000),
      }),
    );
    const truth = groundTruth(t, {
      from: new Date('2026-09-01T00:00:00Z'),
      to: OBSERVED,
      asOf: OBSERVED,
      selfTargetSeconds: 300,
      approvalTargetSeconds: 1800,
      denialRateFlag: 0.2,
      minDecisions: 5,
      breakGlassAccounts: config.breakGlassAccounts,
      standingBasis: 'snapshot',
    });
    expect(report.standingAssignments).toMatchObject({
      basis: 'snapshot',
      snapshotAt: OBSERVED.toISOString(),
      total: truth.standingAssignments.total,
      breakGlass: 2,
      servicePrincipals: 1,
    });
    // The role the tier-0 group holds is each member's, the group named, and not the group's again.
    const row = (i: { principalId: string; roleId: string; breakGlass: boolean; viaGroupId: string | null }) => [
      i.principalId,
      i.roleId,
      i.breakGlass,
      i.viaGroupId,
    ];
    expect(report.standingAssignments.items.map(row).sort()).toEqual(truth.standingAssignments.items.map(row).sort());
    const viaGroup = truth.standingAssignments.items.filter((i) => i.viaGroupId);
    expect(viaGroup.map((i) => [i.principalUpn, i.viaGroupName])).toEqual(
      expect.arrayContaining([[expect.stringMatching(/@/), 'PIM-RoleGroup-Tier0']]),
    );
    expect(viaGroup).toHaveLength(2);
    expect(report.standingAssignments.items.find((i) => i.viaGroupId)?.viaGroupName).toBe('PIM-RoleGroup-Tier0');
    // Before the snapshot existed, the answer is still audit replay (empty store: nothing seen).
    const before = await withDb(db, config, (x) =>
      metricsReport(x, config, {
        from: new Date('2026-09-01T00:00:00Z'),
        to: OBSERVED,
        asOf: new Date(OBSERVED.getTime() - 1000),
      }),
    );
    expect(before.standingAssignments.basis).toBe('audit_replay');

    const policies = await withDb(db, config, (x) =>
      x.all(
        `SELECT role_id, max_activation_seconds, mfa_required, justification_required, ticket_required, approval_required, approvers, approval_timeout_days, permanent_eligible_allowed, permanent_active_allowed FROM role_policies ORDER BY role_id`,
      ),
    );
    expect(policies).toEqual([
      {
        role_id: ROLES.globalAdmin.id,
        max_activation_seconds: 28800,
        mfa_required: true,
        justification_required: true,
        ticket_required: false,
        approval_required: true,
        approvers: 1,
        approval_timeout_days: 1,
        permanent_eligible_allowed: true,
        permanent_active_allowed: false,
      },
      {
        role_id: ROLES.helpdeskAdmin.id,
        max_activation_seconds: 5400,
        mfa_required: false,
        justification_required: false,
        ticket_required: false,
        approval_required: false,
        approvers: 0,
        approval_timeout_days: null,
        permanent_eligible_allowed: null,
        permanent_active_allowed: true,
      },
    ]);
    const users = await withDb(db, config, (x) =>
      x.one<{ n: bigint; m: string }>(`SELECT count(*) AS n, any_value(manager_id) AS m FROM directory_users`),
    );
    expect(users!.m).toBe(t.admins[0].id);
  });

  it('reads the same state from a saved Graph response through import', async () => {
    const d = join(tmp.dir, 's2');
    mkdirSync(d, { recursive: true });
    const file = join(d, 'roleAssignmentScheduleInstances.json');
    writeFileSync(
      file,
      JSON.stringify({
        '@odata.context':
          'https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignmentScheduleInstances(principal())',
        'value': fake.state['/roleManagement/directory/roleAssignmentScheduleInstances'],
      }),
    );
    const config = testConfig({}, d);
    await importPaths(join(d, 'p.duckdb'), config, [file]);
    const rows = await withDb(join(d, 'p.duckdb'), config, (x) =>
      x.one<{ n: bigint }>(`SELECT count(*) AS n FROM role_assignments WHERE source = 'snapshot' AND kind = 'active'`),
    );
    expect(Number(rows!.n)).toBe(
      (fake.state['/roleManagement/directory/roleAssignmentScheduleInstances'] as unknown[]).length - 1,
    );
  });
});

import { runDoctor } from '../ingest/doctor.js';

describe('doctor', () => {
  it('says which endpoint answers and which permission is missing', async () => {
    fake.state['/auditLogs/signIns'] = 403;
    const checks = await runDoctor(testConfig({ azure: fakeAzureConfig(fake) }).valueOf() as never);
    const by = Object.fromEntries(checks.map((c) => [c.check, c]));
    expect(by['credential'].ok).toBe(true);
    expect(Object.values(by).find((c) => c.check.startsWith('token'))?.ok).toBe(true);
    expect(by['sign-ins (break-glass use)']).toMatchObject({
      ok: false,
      fix: expect.stringContaining('AuditLog.Read.All'),
    });
    expect(by['snapshot: accessReviewDefinitions']).toMatchObject({
      ok: false,
      fix: expect.stringContaining('AccessReview.Read.All'),
    });
    expect(by['snapshot: roleAssignmentScheduleInstances'].ok).toBe(true);
    const noSecret = await runDoctor(testConfig({ azure: fakeAzureConfig(fake) }), {
      AZURE_TENANT_ID: fake.tenantId,
      AZURE_CLIENT_ID: 'x',
    });
    expect(noSecret[0]).toMatchObject({
      check: 'credential',
      ok: false,
      detail: expect.stringContaining('AZURE_CLIENT_SECRET'),
    });
  });

  it('pulls break-glass sign-ins beside the audit log', async () => {
    fake.state['/auditLogs/signIns'] = [
      {
        id: 'si-1',
        createdDateTime: '2026-09-20T03:00:00Z',
        userId: t.breakGlass[0].id,
        userPrincipalName: t.breakGlass[0].upn,
        appDisplayName: 'Azure Portal',
        ipAddress: '198.51.100.7',
        status: { errorCode: 0 },
        conditionalAccessStatus: 'success',
      },
    ];
    fake.records = [];
    const d = join(tmp.dir, 'si');
    const config = testConfig(
      {
        breakGlassAccounts: [t.breakGlass[0].upn!, t.breakGlass[1].id],
        azure: fakeAzureConfig(fake, { auditRetentionDays: 400 }),
      },
      d,
    );
    const { ingestGraph } = await import('../cli/pulls.js');
    const r = await ingestGraph(join(d, 'p.duckdb'), config, {
      since: new Date('2026-09-01T00:00:00Z'),
      until: OBSERVED,
      now: OBSERVED,
    });
    expect(r.signIns).toBe(2); // asked once per account; the fake answers both with the same sign-in
    const rows = await withDb(join(d, 'p.duckdb'), config, (x) =>
      x.all('SELECT sign_in_id, user_principal_name, app_display_name FROM sign_ins'),
    );
    expect(rows).toEqual([
      { sign_in_id: 'si-1', user_principal_name: t.breakGlass[0].upn, app_display_name: 'Azure Portal' },
    ]);
  });
});

describe('access reviews', () => {
  it('lands definitions, instances and decisions, and names an unreviewed decision as such', async () => {
    const root = '/identityGovernance/accessReviews/definitions';
    fake.state[root] = [
      {
        id: 'def1',
        displayName: 'Global Administrator quarterly',
        status: 'InProgress',
        scope: {
          query: `/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq '${ROLES.globalAdmin.id}'`,
        },
        settings: {
          recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 } },
          defaultDecision: 'Deny',
          autoApplyDecisionsEnabled: true,
        },
        reviewers: [],
      },
    ];
    fake.state[`${root}/def1/instances`] = [
      { id: 'i1', startDateTime: '2026-07-01T00:00:00Z', endDateTime: '2026-07-15T00:00:00Z', status: 'Completed' },
    ];
    fake.state[`${root}/def1/instances/i1/decisions`] = [
      {
        id: 'd1',
        decision: 'Approve',
        recommendation: 'Approve',
        applyResult: 'AppliedSuccessfully',
        reviewedDateTime: '2026-07-03T00:00:00Z',
        reviewedBy: { id: t.admins[0].id },
        principal: { id: t.admins[1].id, userPrincipalName: t.admins[1].upn },
      },
      {
        id: 'd2',
        decision: 'NotReviewed',
        recommendation: 'Deny',
        applyResult: 'New',
        reviewedDateTime: null,
        reviewedBy: { id: '00000000-0000-0000-0000-000000000000' },
        principal: { id: t.admins[2].id, userPrincipalName: t.admins[2].upn },
      },
    ];
    const d = join(tmp.dir, 'ar');
    const config = testConfig({ azure: fakeAzureConfig(fake) }, d);
    const r = await ingestSnapshot(join(d, 'p.duckdb'), config, OBSERVED);
    expect(r.endpoints.find((e) => e.name === 'accessReviewDecisions')).toMatchObject({ records: 2 });
    const rows = await withDb(join(d, 'p.duckdb'), config, (x) =>
      x.all(
        `SELECT d.definition_id, i.status, d.decision, d.reviewed_by, d.principal_upn FROM access_review_decisions d JOIN access_review_instances i USING (instance_id) ORDER BY decision_id`,
      ),
    );
    expect(rows).toEqual([
      {
        definition_id: 'def1',
        status: 'Completed',
        decision: 'Approve',
        reviewed_by: t.admins[0].id,
        principal_upn: t.admins[1].upn,
      },
      {
        definition_id: 'def1',
        status: 'Completed',
        decision: 'NotReviewed',
        reviewed_by: null,
        principal_upn: t.admins[2].upn,
      },
    ]);
  });
});

import { main } from '../cli/index.js';

describe('ingest snapshot: partial failures', () => {
  it('fails (exit 1, naming the endpoint) when an endpoint fails unexpectedly, after landing the rest; an acknowledged gap is a warning', async () => {
    const d = join(tmp.dir, 'gaps');
    mkdirSync(d, { recursive: true });
    const db = join(d, 'p.duckdb');
    const write = (name: string, over: Record<string, unknown>) => {
      const file = join(d, name);
      writeFileSync(
        file,
        JSON.stringify({ azure: fakeAzureConfig(fake), storage: { landingDir: join(d, 'landing') }, ...over }),
      );
      return file;
    };
    const saved = fake.state['/identityGovernance/accessReviews/definitions'];
    fake.state['/identityGovernance/accessReviews/definitions'] = 403;
    try {
      const strict = write('strict.json', {});
      const r = await ingestSnapshot(db, testConfig({ azure: fakeAzureConfig(fake) }, d), OBSERVED);
      expect(r.gaps.failures.map((f) => f.name)).toEqual(['accessReviewDefinitions']);
      expect(await main(['node', 'pimops', '--db', db, '--config', strict, 'ingest', 'snapshot'])).toBe(1);
      // What answered still landed.
      const held = await withDb(db, testConfig({}, d), (x) =>
        x.one<{ n: bigint }>('SELECT count(*) AS n FROM role_policies'),
      );
      expect(Number(held!.n)).toBeGreaterThan(0);
      const accepted = write('accepted.json', { acknowledgedGaps: ['accessReviewDefinitions'] });
      expect(await main(['node', 'pimops', '--db', db, '--config', accepted, 'ingest', 'snapshot'])).toBe(0);
    } finally {
      fake.state['/identityGovernance/accessReviews/definitions'] = saved;
    }
  });
});
