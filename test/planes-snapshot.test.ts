// `pimops ingest snapshot` for the two other PIM planes (issue 23), through the real SDK clients
// (Graph client; @azure/arm-authorization, -managementgroups, -resources-subscriptions) over HTTPS
// to the loopback fake: PIM for Groups per group, ARM at every management group and subscription
// with nextLink paging and a 429 with Retry-After on the way, and one subscription that refuses
// (403): the rest land, the gap names that subscription, and an acknowledged gap is a warning.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { withDb } from '../cli/pipeline.js';
import { ingestSnapshot } from '../cli/pulls.js';
import { main } from '../cli/index.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
let fake: FakeAzure;
const OBSERVED = new Date('2026-10-01T00:00:00Z');
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const CONTRIB = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const SUBS = [
  '11111111-0000-4000-8000-000000000001',
  '11111111-0000-4000-8000-000000000002',
  '11111111-0000-4000-8000-000000000003',
];
const REFUSED = `/subscriptions/${SUBS[2]}`;
const MG = '/providers/Microsoft.Management/managementGroups/contoso-root';
const GROUP = '22222222-0000-4000-8000-00000000000a';
const alice = 'aaaaaaaa-0000-4000-8000-000000000001';
const bob = 'bbbbbbbb-0000-4000-8000-000000000002';

function armInstance(
  kind: 'eligible' | 'active',
  scope: string,
  role: string,
  principal: string,
  i: number,
  end?: string,
) {
  const type = kind === 'eligible' ? 'roleEligibilityScheduleInstances' : 'roleAssignmentScheduleInstances';
  return {
    id: `${scope}/providers/Microsoft.Authorization/${type}/inst-${kind}-${i}`,
    name: `inst-${kind}-${i}`,
    type: `Microsoft.Authorization/${type}`,
    properties: {
      scope,
      roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      principalId: principal,
      principalType: 'User',
      status: 'Provisioned',
      startDateTime: '2026-01-01T00:00:00Z',
      endDateTime: end ?? null,
      memberType: 'Direct',
      ...(kind === 'active' ? { assignmentType: 'Assigned' } : {}),
      expandedProperties: {
        principal: {
          id: principal,
          displayName: principal,
          email: `${principal.slice(0, 5)}@contoso.example`,
          type: 'User',
        },
        roleDefinition: { id: role, displayName: role === OWNER ? 'Owner' : 'Contributor', type: 'BuiltInRole' },
        scope: {
          id: scope,
          displayName: scope,
          type: scope.startsWith('/subscriptions') ? 'subscription' : 'managementgroup',
        },
      },
    },
  };
}

function armPolicy(scope: string, role: string, hours: string, approval: boolean) {
  const id = `${scope}/providers/Microsoft.Authorization/roleManagementPolicies/pol-${role.slice(0, 8)}`;
  return {
    policy: {
      id,
      name: `pol-${role.slice(0, 8)}`,
      type: 'Microsoft.Authorization/RoleManagementPolicies',
      properties: {
        scope,
        rules: [
          {
            id: 'Expiration_EndUser_Assignment',
            ruleType: 'RoleManagementPolicyExpirationRule',
            isExpirationRequired: true,
            maximumDuration: hours,
          },
          {
            id: 'Enablement_EndUser_Assignment',
            ruleType: 'RoleManagementPolicyEnablementRule',
            enabledRules: ['Justification'],
          },
          {
            id: 'Approval_EndUser_Assignment',
            ruleType: 'RoleManagementPolicyApprovalRule',
            setting: {
              isApprovalRequired: approval,
              approvalStages: approval
                ? [{ approvalStageTimeOutInDays: 1, primaryApprovers: [{ id: bob, userType: 'User' }] }]
                : [],
            },
          },
          {
            id: 'Expiration_Admin_Assignment',
            ruleType: 'RoleManagementPolicyExpirationRule',
            isExpirationRequired: false,
            maximumDuration: 'P180D',
          },
        ],
      },
    },
    assignment: {
      id: `${scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments/pol-${role.slice(0, 8)}_${role}`,
      name: `pol_${role}`,
      type: 'Microsoft.Authorization/RoleManagementPolicyAssignment',
      properties: {
        scope,
        roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
        policyId: id,
      },
    },
  };
}

beforeAll(async () => {
  fake = await startFakeAzure();
  Object.assign(process.env, fakeEnv(fake));
  fake.state['/roleManagement/directory/roleEligibilityScheduleInstances'] = [];
  fake.state['/roleManagement/directory/roleAssignmentScheduleInstances'] = [];
  fake.state['/roleManagement/directory/roleDefinitions'] = [];
  fake.state['/identityGovernance/accessReviews/definitions'] = [];
  fake.state['/groups'] = [{ id: GROUP, displayName: 'PIM-SQL-Owners', isAssignableToRole: true }];
  fake.state['/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances'] = [
    {
      id: `${GROUP}_member_${alice}`,
      accessId: 'member',
      groupId: GROUP,
      principalId: alice,
      memberType: 'Direct',
      startDateTime: '2026-02-01T00:00:00Z',
      endDateTime: null,
      principal: { '@odata.type': '#microsoft.graph.user', 'id': alice, 'userPrincipalName': 'alice@contoso.example' },
    },
  ];
  fake.state['/identityGovernance/privilegedAccess/group/assignmentScheduleInstances'] = [
    {
      id: `${GROUP}_owner_${bob}`,
      accessId: 'owner',
      groupId: GROUP,
      principalId: bob,
      memberType: 'Direct',
      assignmentType: 'assigned',
      startDateTime: '2026-02-01T00:00:00Z',
      endDateTime: null,
      principal: { '@odata.type': '#microsoft.graph.user', 'id': bob, 'userPrincipalName': 'bob@contoso.example' },
    },
    // An activation under way: an instance, not an assignment.
    {
      id: `${GROUP}_member_${bob}_act`,
      accessId: 'member',
      groupId: GROUP,
      principalId: bob,
      memberType: 'Direct',
      assignmentType: 'activated',
      startDateTime: '2026-09-30T23:00:00Z',
      endDateTime: '2026-10-01T01:00:00Z',
      principal: { '@odata.type': '#microsoft.graph.user', 'id': bob, 'userPrincipalName': 'bob@contoso.example' },
    },
  ];
  fake.state['/policies/roleManagementPolicyAssignments'] = [
    {
      id: `Group_${GROUP}_member`,
      policyId: `Group_${GROUP}_p`,
      roleDefinitionId: 'member',
      scopeId: GROUP,
      scopeType: 'Group',
      policy: {
        id: 'gp',
        rules: [
          { id: 'Expiration_EndUser_Assignment', isExpirationRequired: true, maximumDuration: 'PT12H' },
          { id: 'Enablement_EndUser_Assignment', enabledRules: [] },
          { id: 'Approval_EndUser_Assignment', setting: { isApprovalRequired: false, approvalStages: [] } },
        ],
      },
    },
  ];
  const arm = fake.arm;
  arm.pageSize = 2;
  arm.managementGroups = [{ name: 'contoso-root', displayName: 'Tenant Root Group' }];
  arm.subscriptions = SUBS.map((s, i) => ({ subscriptionId: s, displayName: `sub-${i + 1}` }));
  arm.refused.add(REFUSED);
  // One Owner eligibility at the management group (every subscription inherits it: counted once).
  arm.eligibility[MG] = [armInstance('eligible', MG, OWNER, alice, 0)];
  arm.eligibility[`/subscriptions/${SUBS[0]}`] = [1, 2, 3].map((i) =>
    armInstance('eligible', `/subscriptions/${SUBS[0]}`, CONTRIB, alice, i),
  );
  arm.assignments[`/subscriptions/${SUBS[1]}`] = [armInstance('active', `/subscriptions/${SUBS[1]}`, OWNER, bob, 4)];
  const p1 = armPolicy(`/subscriptions/${SUBS[1]}`, OWNER, 'PT8H', false);
  arm.policies[`/subscriptions/${SUBS[1]}`] = [p1.policy];
  arm.policyAssignments[`/subscriptions/${SUBS[1]}`] = [p1.assignment];
  // The third ARM request (the management group's assignment instances) is throttled once.
  arm.faults.set(3, { status: 429, retryAfter: 1 });
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe('ingest snapshot: PIM for Groups and Azure resources', () => {
  it('lands both planes into the shared state tables; a refusing subscription is named, the rest land', async () => {
    const d = join(tmp.dir, 'p');
    const config = testConfig({ azure: fakeAzureConfig(fake) }, d);
    const db = join(d, 'p.duckdb');
    const r = await ingestSnapshot(db, config, OBSERVED);
    expect(r.gaps.failures).toEqual([
      {
        name: `azureResources:${REFUSED}`,
        reason: expect.stringMatching(/^403 at .*roleEligibilityScheduleInstances\/read/),
      },
    ]);
    // What each scope answered: the first subscription lists its three and the one it inherits.
    expect(r.endpoints.find((e) => e.name === `azureResources:/subscriptions/${SUBS[0]}`)?.records).toBe(4);
    expect(r.endpoints.find((e) => e.name === 'armSubscriptions')?.records).toBe(3);
    // The 429 was waited out (Retry-After: 1 s) and the page asked again.
    const throttled = fake.arm.requests.findIndex((q) => q.status === 429);
    expect(throttled).toBe(2);
    expect(fake.arm.requests[3].url).toBe(fake.arm.requests[2].url);
    expect(fake.arm.requests[3].at - fake.arm.requests[2].at).toBeGreaterThanOrEqual(900);
    // Paging: the first subscription's three eligibilities (plus the inherited one) took two pages.
    expect(fake.arm.requests.filter((q) => q.url.includes('skiptoken')).length).toBeGreaterThan(0);
    // Graph's group lists were asked per group, never without the filter.
    expect(
      fake.stateRequests
        .filter((u) => u.includes('privilegedAccess/group'))
        .every((u) => /groupId/.test(decodeURIComponent(u))),
    ).toBe(true);

    const rows = await withDb(db, config, (x) =>
      x.all<
        Record<string, unknown>
      >(`SELECT plane, kind, principal_id, role_id, role_name, scope_id, is_permanent FROM role_assignments
        WHERE source = 'snapshot' ORDER BY plane, kind, scope_id, role_id`),
    );
    expect(rows).toEqual([
      {
        plane: 'azure_resource',
        kind: 'active',
        principal_id: bob,
        role_id: OWNER,
        role_name: 'Owner',
        scope_id: `/subscriptions/${SUBS[1]}`,
        is_permanent: true,
      },
      {
        plane: 'azure_resource',
        kind: 'eligible',
        principal_id: alice,
        role_id: OWNER,
        role_name: 'Owner',
        scope_id: MG.toLowerCase(),
        is_permanent: true,
      },
      ...[1, 2, 3].map(() => ({
        plane: 'azure_resource',
        kind: 'eligible',
        principal_id: alice,
        role_id: CONTRIB,
        role_name: 'Contributor',
        scope_id: `/subscriptions/${SUBS[0]}`,
        is_permanent: true,
      })),
      {
        plane: 'group',
        kind: 'active',
        principal_id: bob,
        role_id: 'owner',
        role_name: 'Owner',
        scope_id: GROUP,
        is_permanent: true,
      },
      {
        plane: 'group',
        kind: 'eligible',
        principal_id: alice,
        role_id: 'member',
        role_name: 'Member',
        scope_id: GROUP,
        is_permanent: true,
      },
    ]);
    const policies = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT plane, scope_id, role_id, max_activation, approval_required, permanent_active_allowed FROM role_policies ORDER BY plane`,
      ),
    );
    expect(policies).toEqual([
      {
        plane: 'azure_resource',
        scope_id: `/subscriptions/${SUBS[1]}`,
        role_id: OWNER,
        max_activation: 'PT8H',
        approval_required: false,
        permanent_active_allowed: true,
      },
      {
        plane: 'group',
        scope_id: GROUP,
        role_id: 'member',
        max_activation: 'PT12H',
        approval_required: false,
        permanent_active_allowed: null,
      },
    ]);
    const scopes = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT tenant_id, scope_type, scope_name FROM pim_scopes ORDER BY scope_type, scope_name`,
      ),
    );
    expect(scopes).toEqual([
      { tenant_id: fake.tenantId, scope_type: 'group', scope_name: 'PIM-SQL-Owners' },
      { tenant_id: fake.tenantId, scope_type: 'management_group', scope_name: 'Tenant Root Group' },
      ...['sub-1', 'sub-2', 'sub-3'].map((n) => ({
        tenant_id: fake.tenantId,
        scope_type: 'subscription',
        scope_name: n,
      })),
    ]);
  });

  it('exits 1 naming the subscription; listing it in acknowledgedGaps makes it a warning', async () => {
    const d = join(tmp.dir, 'cli');
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
    expect(await main(['node', 'pimops', '--db', db, '--config', write('strict.json', {}), 'ingest', 'snapshot'])).toBe(
      1,
    );
    const accepted = write('ok.json', { acknowledgedGaps: [`azureResources:${REFUSED}`] });
    expect(await main(['node', 'pimops', '--db', db, '--config', accepted, 'ingest', 'snapshot'])).toBe(0);
  });
});

import { runDoctor } from '../ingest/doctor.js';

describe('doctor: PIM for Groups and Azure resources', () => {
  it('says what answers, and names the permission or Azure role a refusal needs', async () => {
    const config = testConfig({ azure: fakeAzureConfig(fake) });
    const ok = Object.fromEntries((await runDoctor(config)).map((c) => [c.check, c]));
    expect(ok['snapshot: PIM for Groups (role-assignable groups)'].ok).toBe(true);
    expect(ok['snapshot: groupEligibilityScheduleInstances'].ok).toBe(true);
    expect(ok[`snapshot: Azure resources (ARM at ${fake.url})`]).toMatchObject({
      ok: true,
      detail: `3 subscription(s), 1 management group(s) visible; PIM state readable at ${MG}`,
    });
    const saved = fake.state['/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances'];
    fake.state['/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances'] = 403;
    fake.arm.refused.add(MG);
    try {
      const bad = Object.fromEntries((await runDoctor(config)).map((c) => [c.check, c]));
      expect(bad['snapshot: groupEligibilityScheduleInstances']).toMatchObject({
        ok: false,
        fix: expect.stringContaining('PrivilegedEligibilitySchedule.Read.AzureADGroup'),
      });
      expect(bad[`snapshot: Azure resources (ARM at ${fake.url})`]).toMatchObject({
        ok: false,
        fix: expect.stringContaining('Microsoft.Authorization/roleEligibilityScheduleInstances/read'),
      });
    } finally {
      fake.state['/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances'] = saved;
      fake.arm.refused.delete(MG);
    }
  });
});

import { cloudEndpoints } from '../core/cloud.js';

describe('ARM host and audience follow the cloud', () => {
  it.each([
    ['public', undefined, 'https://management.azure.com', 'https://management.azure.com'],
    ['usgov', undefined, 'https://management.usgovcloudapi.net', 'https://management.usgovcloudapi.net'],
    ['china', undefined, 'https://management.chinacloudapi.cn', 'https://management.chinacloudapi.cn'],
    // A proxy or fake answers; tokens are still for the cloud's ARM.
    ['public', 'https://127.0.0.1:8443', 'https://127.0.0.1:8443', 'https://management.azure.com'],
  ])('%s with armEndpoint %s', (cloud, armEndpoint, endpoint, audience) => {
    const e = cloudEndpoints(testConfig({ azure: { cloud, ...(armEndpoint ? { armEndpoint } : {}) } }));
    expect([e.armEndpoint, e.armAudience]).toEqual([endpoint, audience]);
  });
});
