// The queries the report's findings-by-rule and its asked-for lines read, worked out by hand on a
// real DuckDB file: hand-made rows in the derived tables, counts computed on paper.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { withDb } from '../cli/pipeline.js';
import { runQuery, pickParams } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { derivePim } from '../transform/index.js';
import type { Row } from '../core/db.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const OCT = {
  from: new Date('2026-10-01T00:00:00Z'),
  to: new Date('2026-11-01T00:00:00Z'),
  asOf: new Date('2026-11-01T00:00:00Z'),
};

/** Runs named queries over a fresh store holding only the rows given. */
async function store(
  rows: string[],
  queries: string[],
  over: Record<string, unknown> = {},
  period = OCT,
): Promise<Record<string, Row[]>> {
  const dir = join(tmp.dir, `s${Math.random().toString(36).slice(2)}`);
  const config = testConfig(over, dir);
  return withDb(join(dir, 'p.duckdb'), config, async (x) => {
    await derivePim(x, config);
    for (const r of rows) await x.run(r);
    const params = configParams(config, period);
    const out: Record<string, Row[]> = {};
    for (const q of queries) out[q] = await runQuery(x, q, pickParams(q, params));
    return out;
  });
}

const act = (who: string, at: string, o: { plane?: string; known?: boolean } = {}) =>
  `INSERT INTO pim_activations (request_key, plane, principal_id, role_id, activated_at, started_at, start_known)
   VALUES ('${who}-${at}', '${o.plane ?? 'entra_role'}', '${who}', 'r1', '${at}', '${at}', ${o.known ?? true})`;
const req = (who: string, at: string, type = 'activate', plane = 'entra_role') =>
  `INSERT INTO pim_requests (request_key, request_type, plane, principal_id, role_id, requested_at)
   VALUES ('${who}-${at}-${type}', '${type}', '${plane}', '${who}', 'r1', '${at}')`;

describe('populations', () => {
  it('admins who activated an Entra role in the period; people who asked to activate anything', async () => {
    const r = await store(
      [
        act('a', '2026-10-01T00:00:00Z'), // first instant: in
        act('a', '2026-10-05T00:00:00Z'), // same admin twice: one
        act('b', '2026-10-31T23:59:59Z'),
        act('c', '2026-11-01T00:00:00Z'), // period end: out
        act('d', '2026-10-10T00:00:00Z', { plane: 'group' }), // another plane: out
        act('e', '2026-10-10T00:00:00Z', { known: false }), // began before the data: out
        req('a', '2026-10-02T00:00:00Z'),
        req('f', '2026-10-03T00:00:00Z', 'activate', 'group'), // any plane counts for justifications
        req('g', '2026-10-03T00:00:00Z', 'assign_eligible'), // not an activation request
        req('h', '2026-09-30T23:59:59Z'), // before the period
      ],
      ['population_activating_admins', 'population_requesters'],
    );
    // a, b → 2; a, f → 2
    expect(r.population_activating_admins).toEqual([{ population: 2n, unit: 'admins who activated an Entra role' }]);
    expect(r.population_requesters).toEqual([{ population: 2n, unit: 'people who asked to activate a role' }]);
  });
});

const assignment = (
  who: string,
  kind: string,
  o: {
    role?: string;
    start?: string;
    end?: string | null;
    removed?: string;
    type?: string;
    source?: string;
    observed?: string;
  } = {},
) =>
  `INSERT INTO role_assignments (plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind, start_at, end_at, removed_at, is_permanent, source, observed_at)
   VALUES ('entra_role', '${who}', '${who}@x.example', '${o.type ?? 'user'}', '${o.role ?? 'r1'}', 'Role ${o.role ?? 'r1'}', '/', '${kind}', '${o.start ?? '2026-01-01T00:00:00Z'}',
           ${o.end ? `'${o.end}'` : 'NULL'}, ${o.removed ? `'${o.removed}'` : 'NULL'}, ${o.end ? 'false' : 'true'}, '${o.source ?? 'audit_replay'}', ${o.observed ? `'${o.observed}'` : 'NULL'})`;

describe('the asked-for queries', () => {
  it('assignments expiring in the next 30 days: eligible and active, ended or removed ones not', async () => {
    const r = await store(
      [
        assignment('a', 'eligible', { end: '2026-11-15T00:00:00Z' }), // 14 days: in
        assignment('b', 'active', { end: '2026-12-01T00:00:00Z' }), // exactly 30 days: in
        assignment('c', 'eligible', { end: '2026-12-01T00:00:01Z' }), // 30 days and a second: out
        assignment('d', 'eligible', { end: '2026-11-01T00:00:00Z' }), // ends at as-of: already gone
        assignment('e', 'eligible', { end: '2026-11-10T00:00:00Z', removed: '2026-10-20T00:00:00Z' }), // removed
        assignment('f', 'eligible'), // permanent
        assignment('g', 'eligible', { end: '2026-11-10T00:00:00Z', start: '2026-11-05T00:00:00Z' }), // not yet held
      ],
      ['expiring_assignments'],
    );
    expect(r.expiring_assignments.map((x) => [x.principal, x.kind, x.days_left])).toEqual([
      ['a@x.example', 'eligible', 14],
      ['b@x.example', 'active', 30],
    ]);
  });

  it('access-review denials whose assignment is still there afterwards', async () => {
    const def = `INSERT INTO access_review_definitions (observed_at, review_id, display_name, status, scope, settings, reviewers)
      VALUES ('2026-10-20', 'rev1', 'Quarterly r1', 'InProgress', '{"query": "/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq ''r1''"}', '{}', '[]')`;
    const decision = (who: string, decision: string, at = '2026-10-10T00:00:00Z') =>
      `INSERT INTO access_review_decisions (observed_at, definition_id, instance_id, decision_id, principal_id, principal_upn, decision, reviewed_by, reviewed_at, apply_result)
       VALUES ('2026-10-20', 'rev1', 'i1', 'd-${who}', '${who}', '${who}@x.example', '${decision}', 'boss', '${at}', 'New')`;
    const r = await store(
      [
        def,
        decision('kept', 'Deny'), // denied, still eligible: not applied
        decision('gone', 'Deny'), // denied and removed after: applied
        decision('ok', 'Approve'), // approved: nothing to apply
        decision('other', 'Deny'), // denied, but holds only another role
        decision('later', 'Deny'), // assigned again after the decision: a new assignment, not the denied one
        assignment('kept', 'eligible'),
        assignment('gone', 'eligible', { removed: '2026-10-12T00:00:00Z' }),
        assignment('ok', 'eligible'),
        assignment('other', 'eligible', { role: 'r2' }),
        assignment('later', 'eligible', { start: '2026-10-15T00:00:00Z' }),
      ],
      ['review_denials_not_applied'],
    );
    expect(r.review_denials_not_applied.map((x) => [x.principal, x.role, x.kind, x.days_since])).toEqual([
      ['kept@x.example', 'Role r1', 'eligible', 22],
    ]);
  });

  it('people who need a PIM licence: eligible, time-bound active, approvers, reviewed and reviewers, each once', async () => {
    const approval = (who: string, at: string) =>
      `INSERT INTO pim_approvals (request_key, event_id, approver_id, decision, decided_at) VALUES ('k-${who}-${at}', 'e-${who}-${at}', '${who}', 'approved', '${at}')`;
    const decision = (who: string, by: string | null, at: string) =>
      `INSERT INTO access_review_decisions (observed_at, definition_id, instance_id, decision_id, principal_id, decision, reviewed_by, reviewed_at)
       VALUES ('2026-10-20', 'rev1', 'i1', 'd-${who}', '${who}', 'Approve', ${by ? `'${by}'` : 'NULL'}, ${by ? `'${at}'` : 'NULL'})`;
    const r = await store(
      [
        assignment('e1', 'eligible'),
        assignment('e2', 'eligible', { end: '2026-12-31T00:00:00Z' }),
        assignment('e1', 'eligible', { role: 'r2' }), // same person twice
        assignment('sp', 'eligible', { type: 'service_principal' }), // not a user
        assignment('t1', 'active', { end: '2026-11-30T00:00:00Z' }), // time-bound active
        assignment('p1', 'active'), // permanent active: no licence for that
        assignment('gone', 'eligible', { removed: '2026-10-05T00:00:00Z' }),
        approval('ap1', '2026-10-03T00:00:00Z'),
        approval('e1', '2026-10-04T00:00:00Z'), // an eligible admin who also approves: one person
        approval('ap2', '2026-09-30T00:00:00Z'), // before the period
        decision('e2', 'rv1', '2026-10-12T00:00:00Z'),
        decision('x1', null, ''), // reviewed, not yet decided
      ],
      ['pim_licence_count'],
    );
    // eligible e1 e2; time-bound t1; approvers ap1 e1; reviewed e2 x1; reviewers rv1 → e1 e2 t1 ap1 x1 rv1
    expect(r.pim_licence_count.map((x) => [x.category, Number(x.people)])).toEqual([
      ['eligible', 2],
      ['time-bound active', 1],
      ['approvers', 2],
      ['reviewed', 2],
      ['reviewers', 1],
      ['total (distinct people)', 6],
    ]);
  });

  it('time from grant to first action: the first non-PIM record by the admin while the role was live', async () => {
    const ev = (id: string, who: string | null, at: string, upn: string | null = null) =>
      `INSERT INTO audit_events (event_id, event_time, activity, actor_id, actor_upn, source_shape, landing_file, landing_line, ingested_at)
       VALUES ('${id}', '${at}', 'Update user', ${who ? `'${who}'` : 'NULL'}, ${upn ? `'${upn}'` : 'NULL'}, 'x', 'x', 1, '${at}')`;
    const live = (who: string, at: string, end: string) =>
      `INSERT INTO pim_activations (request_key, plane, principal_id, principal_upn, role_id, activated_at, started_at, ended_at, start_known)
       VALUES ('k-${who}', 'entra_role', '${who}', '${who}@x.example', 'r1', '${at}', '${at}', '${end}', true)`;
    const r = await store(
      [
        live('a', '2026-10-05T10:00:00Z', '2026-10-05T12:00:00Z'),
        ev('a0', 'a', '2026-10-05T09:59:59Z'), // before the grant
        ev('a-pim', 'a', '2026-10-05T10:00:30Z'), // PIM's own record: left out
        `INSERT INTO int_pim_events (event_id, event_time, activity, step, kind, plane, request_key, keyed) VALUES ('a-pim', '2026-10-05T10:00:30Z', 'x', 'activated', 'x', 'entra_role', 'k-a', true)`,
        ev('a1', 'a', '2026-10-05T10:02:00Z'), // 120 s
        ev('a2', 'a', '2026-10-05T10:30:00Z'),
        live('b', '2026-10-06T10:00:00Z', '2026-10-06T11:00:00Z'),
        ev('b1', 'b', '2026-10-06T10:10:00Z'), // 600 s
        live('c', '2026-10-07T10:00:00Z', '2026-10-07T11:00:00Z'),
        ev('c1', 'c', '2026-10-07T11:00:00Z'), // at the end: not live any more
        live('d', '2026-10-08T10:00:00Z', '2026-10-08T11:00:00Z'),
        ev('d1', null, '2026-10-08T10:05:00Z', 'd@x.example'), // 300 s: a record that names the admin by UPN only
        ev('d2', 'd', '2026-10-08T10:15:00Z'),
      ],
      ['time_to_first_action'],
    );
    expect(r.time_to_first_action).toEqual([
      { activations: 4n, with_action: 3n, p50_seconds: 300, p90_seconds: 540, max_seconds: 600 },
    ]);
  });
});
