// Golden case for the tier rule per plane (issue 23), hand-computed on a real DuckDB file: Owner,
// User Access Administrator and Role Based Access Control Administrator are tier 0 at subscription or
// management-group scope, not below (a resource group) and never Contributor; a PIM for Groups
// membership is tier 0 when the group holds a tier-0 Entra role (in the newest snapshot), not when it
// holds another role or held one only in an older snapshot. Every row below lets activation without
// approval, so tier0_without_approval (tier 0 only) lists exactly the tier-0 ones, and
// role_max_activation at 3 h (over 2 h for tier 0, under 4 h for the rest) agrees.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { withDb } from '../cli/pipeline.js';
import { runChecks } from '../reports/checks.js';
import { derivePim } from '../transform/index.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const UAA = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
const RBAC = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168';
const CONTRIB = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const GA = '62e90394-69f5-4237-9190-012177145e10';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const SUB = '/subscriptions/00000000-0000-4000-8000-0000000000aa';
const RG = `${SUB}/resourcegroups/rg-1`;
const MG = '/providers/microsoft.management/managementgroups/root';
const G_GA = 'aaaaaaaa-0000-4000-8000-00000000000a';
const G_UA = 'aaaaaaaa-0000-4000-8000-00000000000b';
const G_OLD = 'aaaaaaaa-0000-4000-8000-00000000000c';
const NAMES: Record<string, string> = {
  [OWNER]: 'Owner',
  [UAA]: 'User Access Administrator',
  [CONTRIB]: 'Contributor',
};

const policy = (plane: string, scope: string, role: string) =>
  `INSERT INTO role_policies (observed_at, plane, scope_id, role_id, max_activation, max_activation_seconds, mfa_required, justification_required, approval_required, approvers)
   VALUES ('2026-10-20', '${plane}', '${scope}', '${role}', 'PT3H', 10800, true, true, false, 0)`;
const entra = (at: string, group: string, role: string) =>
  `INSERT INTO role_assignments (plane, principal_id, principal_type, role_id, scope_id, kind, start_at, is_permanent, source, observed_at)
   VALUES ('entra_role', '${group}', 'group', '${role}', '/', 'active', '2026-01-01', true, 'snapshot', '${at}')`;

describe('tier 0 per plane', () => {
  it('Owner, UAA and RBAC Administrator at subscription or management group; groups holding a tier-0 Entra role', async () => {
    const dir = join(tmp.dir, 'tier');
    const config = testConfig({}, dir);
    const asOf = new Date('2026-11-01T00:00:00Z');
    const findings = await withDb(join(dir, 'p.duckdb'), config, async (x) => {
      await derivePim(x, config);
      for (const sql of [
        policy('azure_resource', SUB, OWNER),
        policy('azure_resource', RG, OWNER),
        policy('azure_resource', MG, UAA),
        policy('azure_resource', RG, UAA),
        policy('azure_resource', SUB, RBAC),
        policy('azure_resource', MG, CONTRIB),
        policy('group', G_GA, 'member'),
        policy('group', G_GA, 'owner'),
        policy('group', G_UA, 'member'),
        policy('group', G_OLD, 'member'),
        entra('2026-09-01', G_OLD, GA), // an older snapshot: G_OLD no longer holds it
        entra('2026-10-15', G_GA, GA),
        entra('2026-10-15', G_UA, USER_ADMIN),
      ])
        await x.run(sql);
      return runChecks(x, config, { from: new Date('2026-10-01T00:00:00Z'), to: asOf, asOf }, [
        'tier0_without_approval',
        'role_max_activation',
      ]);
    });
    const tier0 = [
      `azure_resource:${SUB}:${OWNER}`,
      `azure_resource:${MG}:${UAA}`,
      `azure_resource:${SUB}:${RBAC}`,
      `group:${G_GA}:member`,
      `group:${G_GA}:owner`,
    ].sort();
    const of = (rule: string) =>
      findings
        .filter((f) => f.ruleId === rule)
        .map((f) => f.subjectId)
        .sort();
    expect(of('tier0_without_approval')).toEqual(tier0);
    expect(of('role_max_activation')).toEqual(tier0);
    expect(new Set(findings.map((f) => f.severity))).toEqual(new Set(['high']));
    expect(findings.find((f) => f.subjectId === `group:${G_GA}:member`)?.subjectType).toBe('group_role');
  });

  it('access reviews: a tier-0 subject of another plane needs a review that names its group, or its scope and role', async () => {
    const dir = join(tmp.dir, 'reviews');
    const config = testConfig({}, dir);
    const asOf = new Date('2026-11-01T00:00:00Z');
    const held = (plane: string, principal: string, role: string, scope: string) =>
      `INSERT INTO role_assignments (plane, principal_id, principal_type, role_id, role_name, scope_id, kind, start_at, is_permanent, source, observed_at)
       VALUES ('${plane}', '${principal}', 'user', '${role}', '${NAMES[role] ?? role}', '${scope}', 'eligible', '2026-01-01', true, 'snapshot', '2026-10-15')`;
    const review = (id: string, query: string) =>
      `INSERT INTO access_review_definitions (observed_at, review_id, display_name, status, scope, settings, reviewers)
       VALUES ('2026-10-15', '${id}', '${id}', 'InProgress', '{"resourceScopes":[{"query":"${query}"}]}',
               '{"recurrence":{"pattern":{"type":"absoluteMonthly","interval":3}},"defaultDecision":"None"}', '[]')`;
    const findings = await withDb(join(dir, 'p.duckdb'), config, async (x) => {
      await derivePim(x, config);
      for (const sql of [
        entra('2026-10-15', G_GA, GA),
        held('group', 'u1', 'member', G_GA),
        held('group', 'u2', 'member', G_UA), // not tier 0: no review asked
        held('azure_resource', 'u3', OWNER, SUB),
        held('azure_resource', 'u4', UAA, MG),
        held('azure_resource', 'u5', OWNER, RG), // below a subscription: not tier 0
        held('azure_resource', 'u6', CONTRIB, SUB),
        review('r-group', `/groups/${G_GA}/transitiveMembers`),
        review('r-mg', `${MG}/providers/Microsoft.Authorization/roleDefinitions/${UAA}`),
        review('r-ga', `/roleManagement/directory/roleDefinitions/${GA}`),
      ])
        await x.run(sql);
      return runChecks(x, config, { from: new Date('2026-10-01T00:00:00Z'), to: asOf, asOf }, [
        'access_review_missing',
      ]);
    });
    expect(findings.map((f) => [f.subjectId, f.subjectName])).toEqual([
      [`azure_resource:${SUB}:${OWNER}`, `Owner at ${SUB}`],
    ]);
  });
});
