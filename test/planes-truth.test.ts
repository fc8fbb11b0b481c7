// Issue 23: the generator plants PIM for Groups and Azure-resource state (eligible and active
// assignments at group, management-group, subscription and resource-group scope; role settings good
// and bad), and per plane the pipeline's standing access, unused eligibility and role-settings
// findings equal the truth computed from the model (fixtures/generator/planes.ts), exactly. The
// Entra-role figures are unchanged by the other planes' state.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { emitPlaneSnapshot, planeState, planeTruth } from '../fixtures/generator/planes.js';
import { importPaths, rebuildAll, withDb } from '../cli/pipeline.js';
import { runQuery } from '../queries/registry.js';
import { runChecks } from '../reports/checks.js';
import { configParams } from '../queries/params.js';
import { metricsReport } from '../reports/metrics.js';
import { snapshotEndpointOf } from '../ingest/files/recognise.js';
import { buildReport } from '../reports/report.js';
import { exportLake } from '../reports/lake.js';
import { currentRows } from '../reports/sentinel/rows.js';
import { tableByName } from '../reports/sentinel/tables.js';
import { renderMarkdown } from '../reports/render-markdown.js';
import { renderHtml } from '../reports/render-html.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const SETTINGS_RULES = [
  'role_max_activation',
  'mfa_not_required',
  'tier0_without_approval',
  'too_few_approvers',
  'justification_not_required',
  'permanent_active_allowed',
  'permanent_eligible_allowed',
  'ticket_not_required',
];
const planeOf = (subjectId: string | null) =>
  /(^|\|)(group|azure_resource):/.exec(subjectId ?? '')?.[2] ?? 'entra_role';

describe('PIM for Groups and Azure resources: pipeline = ground truth, per plane', () => {
  const t = generateTenant({ seed: 23, admins: 8, start: new Date('2026-09-01T00:00:00Z'), days: 30 });
  const s = planeState(t);
  const dir = join(tmp.dir, 'p');
  const config = testConfig({}, dir);
  const db = join(dir, 'p.duckdb');
  const asOf = t.end;
  beforeAll(async () => {
    emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: 23 });
    emitPlaneSnapshot(t, join(dir, 'in'), t.end, s);
    await importPaths(db, config, [join(dir, 'in')]);
  });
  const truth = planeTruth(t, s, {
    asOf,
    unusedRoleDays: config.detections.unusedRoleDays,
    maxActivationHours: config.checks.maxActivationHours,
    tier0MaxActivationHours: config.checks.tier0MaxActivationHours,
    minApprovers: config.checks.minApprovers,
    tier0AzureRoles: config.checks.tier0AzureRoles,
  });

  it('plants something of every kind on both planes', () => {
    for (const plane of ['group', 'azure_resource'] as const) {
      expect(truth[plane].standing.length, plane).toBeGreaterThan(0);
      expect(truth[plane].unusedEligibility.length, plane).toBeGreaterThan(0);
      expect(truth[plane].settingsFindings.length, plane).toBeGreaterThan(0);
    }
    expect(truth.azure_resource.settingsFindings).toContain(
      `tier0_without_approval|azure_resource:${s.subscriptions[0].id}:8e3af657-a8ff-443c-a75c-2fe8c4bcb635`,
    );
  });

  it('standing access per plane equals the truth', async () => {
    const rows = await withDb(db, config, (x) =>
      runQuery(x, 'standing_assignments', {
        as_of: asOf,
        break_glass_accounts: configParams(config).break_glass_accounts,
      }),
    );
    for (const plane of ['group', 'azure_resource'] as const) {
      const got = rows
        .filter((r) => r.plane === plane)
        .map((r) => `${String(r.principal_id)}|${String(r.scope_id)}|${String(r.role_id)}`)
        .sort();
      expect(got, plane).toEqual(truth[plane].standing);
      expect(new Set(rows.filter((r) => r.plane === plane).map((r) => r.basis)), plane).toEqual(new Set(['snapshot']));
    }
  });

  it('unused eligibility and the role-settings findings per plane equal the truth', async () => {
    const findings = await withDb(db, config, (x) =>
      runChecks(x, config, { from: new Date('2026-09-01T00:00:00Z'), to: asOf, asOf }, [
        'unused_eligibility',
        ...SETTINGS_RULES,
      ]),
    );
    for (const plane of ['group', 'azure_resource'] as const) {
      const mine = findings.filter((f) => planeOf(f.subjectId) === plane);
      expect(
        mine
          .filter((f) => f.ruleId === 'unused_eligibility')
          .map((f) => f.subjectId)
          .sort(),
        plane,
      ).toEqual(truth[plane].unusedEligibility);
      expect(
        mine
          .filter((f) => f.ruleId !== 'unused_eligibility')
          .map((f) => `${f.ruleId}|${f.subjectId}`)
          .sort(),
        plane,
      ).toEqual(truth[plane].settingsFindings);
    }
    // Names say which group or scope: "Owner at prod-subscription", "Member of PIM-Legacy-Admins".
    expect(findings.map((f) => f.subjectName)).toContain('Owner at prod-subscription');
    expect(findings.map((f) => f.subjectName)).toContain('Member of PIM-Legacy-Admins');
  });

  it('the report has a section per plane with its standing access and findings', async () => {
    const model = await withDb(db, config, (x) =>
      buildReport(
        x,
        config,
        { from: new Date('2026-09-01T00:00:00Z'), to: asOf, asOf },
        { compare: 0, pseudonymize: false },
      ),
    );
    const md = renderMarkdown(model);
    const html = renderHtml(model);
    for (const [title, plane] of [
      ['PIM for Groups', 'group'],
      ['Azure resources', 'azure_resource'],
    ] as const) {
      const section = md.slice(md.indexOf(`## ${title}`), md.indexOf('## ', md.indexOf(`## ${title}`) + 3));
      const n = truth[plane].standing.length;
      const f = truth[plane].unusedEligibility.length + truth[plane].settingsFindings.length;
      expect(section).toContain(`${n} standing assignment${n === 1 ? '' : 's'} (target 0), ${f} findings.`);
      expect(html).toContain(`<h2>${title}</h2>`);
    }
    expect(md).toContain('| Owner | prod-subscription |');
    expect(model.metrics.byPlane.azure_resource.standingItems.map((i) => i.scopeName)).toContain('Tenant Root Group');
  });

  it('Sentinel findings and the Parquet lake carry the plane', async () => {
    const rows = await withDb(db, config, (x) => currentRows(x, config, tableByName('PIMFindings_CL'), asOf));
    const planes = (plane: string) =>
      rows
        .filter((r) => r.content.Plane === plane && SETTINGS_RULES.includes(String(r.content.RuleId)))
        .map((r) => `${String(r.content.RuleId)}|${String(r.content.SubjectId)}`)
        .sort();
    expect(planes('azure_resource')).toEqual(truth.azure_resource.settingsFindings);
    expect(planes('group')).toEqual(truth.group.settingsFindings);
    const lake = join(dir, 'lake');
    await withDb(db, config, (x) => exportLake(x, config, lake));
    const byPlane = await withDb(db, config, (x) =>
      x.all<{ plane: string; n: bigint }>(
        `SELECT plane, count(*) AS n FROM read_parquet('${lake}/role_policies/**/*.parquet', hive_partitioning = true) GROUP BY plane ORDER BY plane`,
      ),
    );
    expect(byPlane.map((r) => [r.plane, Number(r.n)])).toEqual([
      ['azure_resource', s.policies.filter((p) => p.plane === 'azure_resource').length],
      ['group', s.policies.filter((p) => p.plane === 'group').length],
    ]);
  });

  it('rebuild gives the same state of the other planes', async () => {
    const state = (x: Parameters<Parameters<typeof withDb>[2]>[0]) =>
      Promise.all(
        ['pim_scopes', 'role_policies', "role_assignments WHERE plane <> 'entra_role' AND source = 'snapshot'"].map(
          (t) => x.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${t}`).then((r) => Number(r?.n)),
        ),
      );
    const before = await withDb(db, config, state);
    await rebuildAll(db, config);
    expect(await withDb(db, config, state)).toEqual(before);
    expect(before[0]).toBe(s.groups.length + s.subscriptions.length + 1);
  });

  it('keeps the Entra-role standing figure to the Entra plane', async () => {
    const report = await withDb(db, config, (x) =>
      metricsReport(x, config, { from: new Date('2026-09-01T00:00:00Z'), to: asOf, asOf }),
    );
    const rows = await withDb(db, config, (x) =>
      runQuery(x, 'standing_assignments', {
        as_of: asOf,
        break_glass_accounts: configParams(config).break_glass_accounts,
      }),
    );
    expect(report.standingAssignments.total).toBe(rows.filter((r) => r.plane === 'entra_role').length);
  });
});

describe('recognising saved ARM responses (they carry no @odata.context)', () => {
  it.each([
    [
      { value: [{ type: 'Microsoft.Authorization/roleEligibilityScheduleInstances', id: 'x' }] },
      'armRoleEligibilityScheduleInstances',
    ],
    [
      { value: [{ type: 'Microsoft.Authorization/roleAssignmentScheduleInstances', id: 'x' }] },
      'armRoleAssignmentScheduleInstances',
    ],
    [
      { value: [{ type: 'Microsoft.Authorization/RoleManagementPolicyAssignment', id: 'x' }] },
      'armRoleManagementPolicyAssignments',
    ],
    [{ value: [{ type: 'Microsoft.Management/managementGroups', id: 'x' }] }, 'armManagementGroups'],
    [{ value: [{ id: '/subscriptions/abc', subscriptionId: 'abc', displayName: 'a' }] }, 'armSubscriptions'],
    [{ value: [{ id: '/subscriptions/abc/resourceGroups/x', subscriptionId: 'abc' }] }, undefined],
    [{ value: [{ type: 'Microsoft.Compute/virtualMachines', id: 'x' }] }, undefined],
    [{ value: [] }, undefined],
    [
      { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups(id,displayName)', 'value': [] },
      'pimGroups',
    ],
    [
      {
        '@odata.context':
          'https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/eligibilityScheduleInstances',
        'value': [],
      },
      'groupEligibilityScheduleInstances',
    ],
    [
      {
        '@odata.context':
          'https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleEligibilityScheduleInstances',
        'value': [],
      },
      'roleEligibilityScheduleInstances',
    ],
  ])('%j → %s', (doc, want) => {
    expect(snapshotEndpointOf(doc)).toBe(want);
  });
});
