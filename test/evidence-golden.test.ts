// The evidence pack's queries on hand-made rows, every expected row worked out by hand in the
// comments: period edges (half-open), the snapshot-or-replay basis, which snapshot is read, the
// "applied" reading of a review decision, a settings change against the previous observation,
// and a day with no audit record.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { withDb } from '../cli/pipeline.js';
import { runQuery } from '../queries/registry.js';
import { derivePim } from '../transform/index.js';
import { tempDir, testConfig } from './helpers.js';
import type { Row } from '../core/db.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const GA = 'ga-role';
const EX = 'ex-role';
const SEC = 'sec-role';

async function store<T>(
  rows: string[],
  fn: (q: (id: string, p: Record<string, unknown>) => Promise<Row[]>) => Promise<T>,
): Promise<T> {
  const dir = join(tmp.dir, `g${Math.random().toString(36).slice(2)}`);
  const config = testConfig({}, dir);
  return withDb(join(dir, 'p.duckdb'), config, async (x) => {
    await derivePim(x, config); // the (empty) derived tables, before the hand-made rows go in
    for (const r of rows) await x.run(r);
    return fn((id, p) => runQuery(x, id, p));
  });
}

const iso = (v: unknown) =>
  v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : JSON.stringify(v);
const pick = (rows: Row[], cols: string[]) =>
  rows.map((r) =>
    cols.map((c) =>
      typeof r[c] === 'bigint' ? Number(r[c]) : r[c] !== null && typeof r[c] === 'object' ? iso(r[c]) : r[c],
    ),
  );

const assignment = (
  who: string,
  role: string,
  roleName: string,
  kind: string,
  start: string,
  o: { end?: string; removed?: string; viaPim?: boolean; event?: string; source?: string; observed?: string } = {},
) =>
  `INSERT INTO role_assignments (plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind, member_type, start_at, end_at, removed_at, is_permanent, via_pim, source, observed_at, source_event_id)
   VALUES ('entra_role', 'id-${who}', '${who}@x.example', 'user', '${role}', '${roleName}', '/', '${kind}', 'direct', '${start}', ${o.end ? `'${o.end}'` : 'NULL'}, ${o.removed ? `'${o.removed}'` : 'NULL'},
           ${o.end ? 'false' : 'true'}, ${o.viaPim ?? true}, '${o.source ?? 'audit_replay'}', ${o.observed ? `'${o.observed}'` : 'NULL'}, ${o.event ? `'${o.event}'` : 'NULL'})`;

describe('access held at an instant, and the changes between', () => {
  const replay = [
    assignment('alice', GA, 'Global Administrator', 'eligible', '2026-06-01T00:00:00Z'), // before and after: held throughout
    assignment('bob', EX, 'Exchange Administrator', 'active', '2026-07-10T00:00:00Z', {
      removed: '2026-08-20T00:00:00Z',
      event: 'ev-bob',
    }), // came and went
    assignment('carol', SEC, 'Security Administrator', 'eligible', '2026-05-01T00:00:00Z', {
      end: '2026-09-01T00:00:00Z',
    }), // ran out on 09-01
    assignment('dan', GA, 'Global Administrator', 'active', '2026-09-30T23:00:00Z', { viaPim: false }), // an hour before the end, outside PIM
    assignment('erin', EX, 'Exchange Administrator', 'eligible', '2026-10-01T00:00:00Z'), // at the very end: held at 10-01, not a change of [07-01, 10-01)
    `INSERT INTO audit_events (event_id, event_time, activity, source_shape, landing_file, landing_line, ingested_at, actor_upn, actor_name)
     VALUES ('ev-bob', '2026-07-10T00:00:00Z', 'Add member to role', 'x', 'f', 1, '2026-10-01', 'dave@x.example', 'Dave')`,
  ];
  const cols = ['kind', 'principal_upn', 'role_name', 'since', 'scheduled_end', 'via_pim', 'basis'];

  it('from audit replay: who held what at the start and at the end (an assignment starting at the instant is held)', async () => {
    await store(replay, async (q) => {
      // 07-01: alice (since 06-01) and carol (until 09-01); bob and dan come later, erin at the end.
      expect(pick(await q('evidence_access_at', { as_of: '2026-07-01T00:00:00Z' }), cols)).toEqual([
        ['eligible', 'alice@x.example', 'Global Administrator', '2026-06-01T00:00:00.000Z', null, true, 'audit_replay'],
        [
          'eligible',
          'carol@x.example',
          'Security Administrator',
          '2026-05-01T00:00:00.000Z',
          '2026-09-01T00:00:00.000Z',
          true,
          'audit_replay',
        ],
      ]);
      // 10-01: dan's active GA (outside PIM), alice still, erin from this very instant; bob removed, carol ran out.
      expect(pick(await q('evidence_access_at', { as_of: '2026-10-01T00:00:00Z' }), cols)).toEqual([
        ['active', 'dan@x.example', 'Global Administrator', '2026-09-30T23:00:00.000Z', null, false, 'audit_replay'],
        [
          'eligible',
          'erin@x.example',
          'Exchange Administrator',
          '2026-10-01T00:00:00.000Z',
          null,
          true,
          'audit_replay',
        ],
        ['eligible', 'alice@x.example', 'Global Administrator', '2026-06-01T00:00:00.000Z', null, true, 'audit_replay'],
      ]);
    });
  });

  it('from the newest snapshot at or before the instant when there is one (an ended row in it is not held)', async () => {
    const snapshot = [
      assignment('frank', GA, 'Global Administrator', 'active', '2026-01-01T00:00:00Z', {
        source: 'snapshot',
        observed: '2026-09-15T00:00:00Z',
      }),
      assignment('gina', EX, 'Exchange Administrator', 'eligible', '2026-01-01T00:00:00Z', {
        source: 'snapshot',
        observed: '2026-09-15T00:00:00Z',
        end: '2026-09-20T00:00:00Z',
      }),
    ];
    await store([...replay, ...snapshot], async (q) => {
      const end = await q('evidence_access_at', { as_of: '2026-10-01T00:00:00Z' });
      expect(pick(end, [...cols, 'basis_at'])).toEqual([
        [
          'active',
          'frank@x.example',
          'Global Administrator',
          '2026-01-01T00:00:00.000Z',
          null,
          true,
          'snapshot',
          '2026-09-15T00:00:00.000Z',
        ],
      ]);
      // 07-01 is before the snapshot: still audit replay.
      expect((await q('evidence_access_at', { as_of: '2026-07-01T00:00:00Z' })).map((r) => r.basis)).toEqual([
        'audit_replay',
        'audit_replay',
      ]);
    });
  });

  it('every change in [from, to), with who made an addition', async () => {
    await store(replay, async (q) => {
      expect(
        pick(await q('evidence_access_changes', { from: '2026-07-01T00:00:00Z', to: '2026-10-01T00:00:00Z' }), [
          'at',
          'change',
          'kind',
          'principal_upn',
          'role_name',
          'via_pim',
          'actor_upn',
        ]),
      ).toEqual([
        [
          '2026-07-10T00:00:00.000Z',
          'added',
          'active',
          'bob@x.example',
          'Exchange Administrator',
          true,
          'dave@x.example',
        ],
        ['2026-08-20T00:00:00.000Z', 'removed', 'active', 'bob@x.example', 'Exchange Administrator', true, null],
        ['2026-09-01T00:00:00.000Z', 'expired', 'eligible', 'carol@x.example', 'Security Administrator', true, null],
        ['2026-09-30T23:00:00.000Z', 'added', 'active', 'dan@x.example', 'Global Administrator', false, null],
      ]);
    });
  });
});

describe('activations in a period', () => {
  const request = (
    key: string,
    type: string,
    at: string,
    o: { decision?: string; approver?: string; justification?: string; ticket?: string } = {},
  ) =>
    `INSERT INTO pim_requests (request_key, request_type, plane, principal_id, principal_upn, role_id, role_name, scope_id, requested_at, justification, ticket_number, ticket_system, mfa, approval_required, decision, approver_upn)
     VALUES ('${key}', '${type}', 'entra_role', 'id-alice', 'alice@x.example', '${GA}', 'Global Administrator', '/', '${at}', ${o.justification ? `'${o.justification}'` : 'NULL'},
             ${o.ticket ? `'${o.ticket}'` : 'NULL'}, ${o.ticket ? "'ServiceNow'" : 'NULL'}, true, true, '${o.decision ?? 'none'}', ${o.approver ? `'${o.approver}'` : 'NULL'})`;

  it('every activation request made in [from, to), granted or not; other request types are not activations', async () => {
    await store(
      [
        request('r1', 'activate', '2026-06-30T23:59:59Z'), // a second early
        request('r2', 'activate', '2026-07-01T00:00:00Z', {
          decision: 'approved',
          approver: 'dave@x.example',
          justification: '=HYPERLINK("x") INC-1',
          ticket: 'INC-1',
        }),
        request('r3', 'assign_eligible', '2026-08-01T00:00:00Z'),
        request('r4', 'activate', '2026-09-30T23:59:59Z', {
          decision: 'denied',
          approver: 'dave@x.example',
          justification: 'quick look',
        }),
        request('r5', 'activate', '2026-10-01T00:00:00Z'), // the next period's
      ],
      async (q) => {
        expect(
          pick(await q('evidence_activations', { from: '2026-07-01T00:00:00Z', to: '2026-10-01T00:00:00Z' }), [
            'request_key',
            'justification',
            'ticket_number',
            'decision',
            'approver_upn',
          ]),
        ).toEqual([
          ['r2', '=HYPERLINK("x") INC-1', 'INC-1', 'approved', 'dave@x.example'],
          ['r4', 'quick look', null, 'denied', 'dave@x.example'],
        ]);
      },
    );
  });
});

describe('access reviews in a period', () => {
  const instance = (observed: string, id: string, start: string, end: string, status: string) =>
    `INSERT INTO access_review_instances (observed_at, definition_id, instance_id, start_at, end_at, status, landing_file) VALUES ('${observed}', 'd1', '${id}', '${start}', '${end}', '${status}', 'f')`;
  const decision = (observed: string, inst: string, who: string, d: string, apply: string | null) =>
    `INSERT INTO access_review_decisions (observed_at, definition_id, instance_id, decision_id, principal_id, principal_upn, decision, reviewed_by, apply_result)
     VALUES ('${observed}', 'd1', '${inst}', 'x-${who}', 'id-${who}', '${who}@x.example', '${d}', 'dave@x.example', ${apply ? `'${apply}'` : 'NULL'})`;
  const SNAP = '2026-10-01T00:00:00Z';

  it('instances that ran in the period, from the newest snapshot at or before its end, each decision and whether it was applied', async () => {
    await store(
      [
        `INSERT INTO access_review_definitions (observed_at, review_id, display_name, status) VALUES ('${SNAP}', 'd1', 'GA review', 'InProgress')`,
        instance(SNAP, 'i0', '2026-06-01', '2026-06-15', 'Completed'), // ended before the period
        instance(SNAP, 'i1', '2026-09-01', '2026-09-15', 'Completed'),
        instance(SNAP, 'i2', '2026-09-20', '2026-10-04', 'InProgress'), // no decisions yet: listed once
        decision(SNAP, 'i1', 'alice', 'Approve', 'AppliedSuccessfully'),
        decision(SNAP, 'i1', 'bob', 'Deny', 'AppliedWithUnknownFailure'), // decided, not applied
        decision(SNAP, 'i1', 'carol', 'NotReviewed', null), // Graph does not say
        // Older and newer observations of the same instance are not read.
        instance('2026-08-01T00:00:00Z', 'i1', '2026-09-01', '2026-09-15', 'NotStarted'),
        decision('2026-08-01T00:00:00Z', 'i1', 'alice', 'Deny', null),
        instance('2026-10-02T00:00:00Z', 'i1', '2026-09-01', '2026-09-15', 'Completed'),
        decision('2026-10-02T00:00:00Z', 'i1', 'alice', 'Deny', 'AppliedSuccessfully'),
      ],
      async (q) => {
        expect(
          pick(await q('evidence_access_reviews', { from: '2026-07-01T00:00:00Z', to: '2026-10-01T00:00:00Z' }), [
            'review_name',
            'instance_id',
            'instance_status',
            'principal_upn',
            'decision',
            'apply_result',
            'applied',
            'observed_at',
          ]),
        ).toEqual([
          [
            'GA review',
            'i1',
            'Completed',
            'alice@x.example',
            'Approve',
            'AppliedSuccessfully',
            true,
            '2026-10-01T00:00:00.000Z',
          ],
          [
            'GA review',
            'i1',
            'Completed',
            'bob@x.example',
            'Deny',
            'AppliedWithUnknownFailure',
            false,
            '2026-10-01T00:00:00.000Z',
          ],
          ['GA review', 'i1', 'Completed', 'carol@x.example', 'NotReviewed', null, null, '2026-10-01T00:00:00.000Z'],
          ['GA review', 'i2', 'InProgress', null, null, null, null, '2026-10-01T00:00:00.000Z'],
        ]);
      },
    );
  });
});

describe('role settings history', () => {
  const policy = (observed: string, role: string, approval: boolean, approvers: number) =>
    `INSERT INTO role_policies (observed_at, role_id, max_activation, max_activation_seconds, mfa_required, justification_required, ticket_required, auth_context_enabled, approval_required, approvers, permanent_eligible_allowed, permanent_active_allowed)
     VALUES ('${observed}', '${role}', 'PT8H', 28800, true, true, false, false, ${approval}, ${approvers}, false, false)`;

  it('the settings in force at the start, every later observation to the end, and where one changed', async () => {
    await store(
      [
        `INSERT INTO role_definitions (observed_at, role_id, role_name) VALUES ('2026-06-15', '${GA}', 'Global Administrator'), ('2026-06-15', '${EX}', 'Exchange Administrator')`,
        policy('2026-05-01T00:00:00Z', GA, true, 2), // older than the start's snapshot: not listed, but the one 06-15 is compared with
        policy('2026-06-15T00:00:00Z', GA, true, 2), // in force on 07-01, unchanged
        policy('2026-06-15T00:00:00Z', EX, false, 0), // in force on 07-01, the role's first observation
        policy('2026-08-01T00:00:00Z', GA, true, 2),
        policy('2026-09-01T00:00:00Z', GA, false, 0), // approval switched off
        policy('2026-10-02T00:00:00Z', GA, true, 2), // after the period
      ],
      async (q) => {
        expect(
          pick(await q('evidence_role_settings', { from: '2026-07-01T00:00:00Z', to: '2026-10-01T00:00:00Z' }), [
            'observed_at',
            'role_name',
            'at_start',
            'changed',
            'approval_required',
            'approvers',
          ]),
        ).toEqual([
          ['2026-06-15T00:00:00.000Z', 'Exchange Administrator', true, null, false, 0],
          ['2026-06-15T00:00:00.000Z', 'Global Administrator', true, false, true, 2],
          ['2026-08-01T00:00:00.000Z', 'Global Administrator', false, false, true, 2],
          ['2026-09-01T00:00:00.000Z', 'Global Administrator', false, true, false, 0],
        ]);
      },
    );
  });
});

describe('audit records per day', () => {
  const event = (id: string, at: string, shape: string) =>
    `INSERT INTO audit_events (event_id, event_time, activity, source_shape, landing_file, landing_line, ingested_at) VALUES ('${id}', '${at}', 'a', '${shape}', 'f', 1, '2026-10-01')`;

  it('every UTC day of [from, to), a day without records listed with zeros', async () => {
    await store(
      [
        event('e0', '2026-06-30T23:59:59Z', 'x'), // the day before
        event('e1', '2026-07-01T00:00:00Z', 'y'),
        event('e2', '2026-07-01T12:00:00Z', 'x'),
        event('e3', '2026-07-02T23:59:59Z', 'x'),
        event('e4', '2026-07-04T00:00:00Z', 'x'), // the day after
        `INSERT INTO int_pim_events (event_id, event_time) VALUES ('e1', '2026-07-01T00:00:00Z')`,
      ],
      async (q) => {
        expect(
          pick(await q('evidence_daily_coverage', { from: '2026-07-01T00:00:00Z', to: '2026-07-04T00:00:00Z' }), [
            'day',
            'audit_records',
            'pim_records',
            'sources',
          ]),
        ).toEqual([
          ['2026-07-01T00:00:00.000Z', 2, 1, 'x, y'],
          ['2026-07-02T00:00:00.000Z', 1, 0, 'x'],
          ['2026-07-03T00:00:00.000Z', 0, 0, null],
        ]);
      },
    );
  });
});

describe('the pack built from hand-made rows', () => {
  const rows = [
    assignment('alice', GA, 'Global Administrator', 'eligible', '2026-06-01T00:00:00Z'),
    `INSERT INTO pim_requests (request_key, request_type, plane, principal_id, principal_upn, role_id, role_name, scope_id, requested_at, justification, decision, approver_upn)
     VALUES ('r1', 'activate', 'entra_role', 'id-alice', 'alice@x.example', '${GA}', 'Global Administrator', '/', '2026-08-01T00:00:00Z', '=HYPERLINK("https://evil.example","x")', 'approved', 'alice@x.example')`,
  ];
  const build = async (o: { pseudonymize: boolean; key?: string }) => {
    const { buildPack } = await import('../reports/evidence/pack.js');
    const dir = join(tmp.dir, `pack${Math.random().toString(36).slice(2)}`);
    const config = testConfig({}, dir);
    return withDb(join(dir, 'p.duckdb'), config, async (x) => {
      await derivePim(x, config);
      for (const r of rows) await x.run(r);
      return buildPack(x, config, { quarter: '2026Q3', now: new Date('2026-12-01T00:00:00Z'), ...o });
    });
  };

  it('makes a formula-looking justification inert in the CSV and keeps it exact in JSON', async () => {
    const pack = await build({ pseudonymize: false });
    const activations = pack.files.get('activations.csv')!.toString('utf8');
    expect(activations).toContain(`"'=HYPERLINK(""https://evil.example"",""x"")"`);
    expect(pack.manifest.scope).toBe('quarter');
    expect(pack.manifest.period.asOf).toBe('2026-10-01T00:00:00.000Z');
  });

  it('replaces people with keyed aliases under --pseudonymize, and needs the key', async () => {
    const pack = await build({ pseudonymize: true, key: 'k'.repeat(32) });
    for (const [name, data] of pack.files)
      if (name !== 'manifest.json') expect(data.toString('utf8'), name).not.toContain('alice@x.example');
    expect(pack.files.get('activations.csv')!.toString('utf8')).toMatch(/user-[0-9a-f]{10}@pseudonym/);
    expect(pack.manifest.pseudonymized).toBe(true);
    await expect(build({ pseudonymize: true })).rejects.toThrow(/PIMOPS_PSEUDONYM_KEY/);
  });
});
