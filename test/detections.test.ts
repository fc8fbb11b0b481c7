// Detections: each threshold just under and just over, on hand-made rows in a real database.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { withDb } from '../cli/pipeline.js';
import { derivePim } from '../transform/index.js';
import { runChecks, type Finding } from '../reports/checks.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const period = {
  from: new Date('2026-10-01T00:00:00Z'),
  to: new Date('2026-11-01T00:00:00Z'),
  asOf: new Date('2026-11-01T00:00:00Z'),
};

// The rules that were once one check file each, run together as the tests below were written for them.
const PIM_ALERTS = [
  'unused_eligibility',
  'stale_account',
  'assigned_outside_pim',
  'too_many_global_admins',
  'too_frequent_activation',
];
const SECURITY_OPERATIONS = [
  'eligible_assignment_burst',
  'bulk_role_removal',
  'pim_alert_disabled',
  'after_hours_activation',
  'first_role_use',
];
const RIGHT_SIZING = ['activation_runs_to_end', 'activation_ended_early', 'activation_outlier'];
const JUSTIFICATION = ['short_justification', 'boilerplate_justification', 'ticket_missing'];

async function findings(rules: string[], rows: string[], over: Record<string, unknown> = {}): Promise<Finding[]> {
  const dir = join(tmp.dir, Math.random().toString(36).slice(2));
  const config = testConfig(over, dir);
  return withDb(join(dir, 'p.duckdb'), config, async (db) => {
    await derivePim(db, config);
    for (const r of rows) await db.run(r);
    return runChecks(db, config, period, rules);
  });
}
const GA = ROLES.globalAdmin.id;
const UA = ROLES.userAdmin.id;
const act = (who: string, role: string, start: string, minutes: number, reason = 'expired', key = `${who}-${start}`) =>
  `INSERT INTO pim_activations VALUES ('${key}', 'entra_role', '${who}', '${who}@x.example', 'user', '${role}', 'Role ${role.slice(0, 4)}', '/', '${start}', '${start}', '${start}'::TIMESTAMPTZ + INTERVAL ${minutes} MINUTES, '${start}'::TIMESTAMPTZ + INTERVAL ${minutes} MINUTES, '${reason}', true, 'activation', NULL, NULL, NULL, NULL)`;
const eligible = (who: string, role: string, since: string) =>
  `INSERT INTO role_assignments (plane, principal_id, principal_upn, role_id, role_name, scope_id, kind, start_at, is_permanent, source) VALUES ('entra_role', '${who}', '${who}@x.example', '${role}', 'R', '/', 'eligible', '${since}', true, 'audit_replay')`;

describe('PIM alerts', () => {
  it('unused eligibility: last activation 29 days before as-of is fine, 31 is not', async () => {
    const f = await findings(PIM_ALERTS, [
      eligible('a', UA, '2026-01-01'),
      eligible('b', UA, '2026-01-01'),
      act('a', UA, '2026-10-03T00:00:00Z', 60),
      act('b', UA, '2026-10-01T00:00:00Z', 60),
    ]);
    expect(f.filter((x) => x.observed?.startsWith('last activated')).map((x) => x.subjectId)).toEqual([`b|${UA}`]);
  });
  it('too many Global Administrators: count and share both at the threshold', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map((w) => eligible(w, GA, '2026-01-01'));
    const at = await findings(PIM_ALERTS, [
      ...rows,
      ...Array.from({ length: 45 }, (_, i) => eligible(`u${i}`, UA, '2026-01-01')),
    ]);
    expect(at.some((x) => x.subjectId === 'global-administrators')).toBe(true); // 5 of 50 = 10 %
    const under = await findings(PIM_ALERTS, [
      ...rows,
      ...Array.from({ length: 46 }, (_, i) => eligible(`u${i}`, UA, '2026-01-01')),
    ]);
    expect(under.some((x) => x.subjectId === 'global-administrators')).toBe(false); // 5 of 51 < 10 %
    const fewer = await findings(PIM_ALERTS, rows.slice(0, 4));
    expect(fewer.some((x) => x.subjectId === 'global-administrators')).toBe(false); // 4 < 5
  });
  it('too many Global Administrators: a group holding the role counts its members, not itself as one more', async () => {
    // Snapshot: group G holds GA with members m1..m3 listed (via_group_id = G), plus one direct GA and
    // 10 other role holders. GA holders are m1, m2, m3, d: 4 < 5, so no alert; counting G too made 5.
    const snap = (who: string, type: string, role: string, via: string | null) =>
      `INSERT INTO role_assignments (plane, principal_id, principal_type, role_id, scope_id, kind, member_type, start_at, is_permanent, source, observed_at, via_group_id)
       VALUES ('entra_role', '${who}', '${type}', '${role}', '/', 'active', '${via ? 'group' : 'direct'}', '2026-01-01', true, 'snapshot', '2026-10-30', ${via ? `'${via}'` : 'NULL'})`;
    const base = [
      snap('G', 'group', GA, null),
      ...['m1', 'm2', 'm3'].map((m) => snap(m, 'user', GA, 'G')),
      snap('d', 'user', GA, null),
      ...Array.from({ length: 10 }, (_, i) => snap(`u${i}`, 'user', UA, null)),
    ];
    const four = await findings(PIM_ALERTS, base);
    expect(four.some((x) => x.subjectId === 'global-administrators')).toBe(false);
    // One more member: 5 of 15 role holders (33.3 %).
    const five = await findings(PIM_ALERTS, [...base, snap('m4', 'user', GA, 'G')]);
    expect(five.find((x) => x.subjectId === 'global-administrators')?.observed).toBe('5 of 15 role holders (33.3%)');
    // A group whose members are not known (audit replay knows none) still counts once: it is who holds the role.
    const unknown = await findings(PIM_ALERTS, [
      snap('G', 'group', GA, null),
      ...['a', 'b', 'c', 'd'].map((m) => snap(m, 'user', GA, null)),
    ]);
    expect(unknown.find((x) => x.subjectId === 'global-administrators')?.observed).toBe('5 of 5 role holders (100.0%)');
  });
  it('activated too frequently: 3 within 60 minutes, not 3 within 61', async () => {
    const f = await findings(PIM_ALERTS, [
      act('a', UA, '2026-10-05T10:00:00Z', 10),
      act('a', UA, '2026-10-05T10:30:00Z', 10),
      act('a', UA, '2026-10-05T11:00:00Z', 10),
      act('b', UA, '2026-10-05T10:00:00Z', 10),
      act('b', UA, '2026-10-05T10:30:00Z', 10),
      act('b', UA, '2026-10-05T11:01:00Z', 10),
    ]);
    expect(f.filter((x) => x.observed?.includes('activations within')).map((x) => x.subjectId)).toEqual([`a|${UA}`]);
  });
  it('stale accounts: no sign-in for 91 days in a privileged role, not 89', async () => {
    const user = (id: string, last: string) =>
      `INSERT INTO directory_users (observed_at, user_id, user_principal_name, display_name, account_enabled, last_sign_in, last_password_change, manager_id, landing_file) VALUES ('2026-10-30', '${id}', '${id}@x.example', '${id}', true, '${last}', NULL, NULL, 'f')`;
    const f = await findings(PIM_ALERTS, [
      eligible('a', UA, '2026-01-01'),
      eligible('b', UA, '2026-01-01'),
      user('a', '2026-08-04T00:00:00Z'),
      user('b', '2026-08-02T00:00:00Z'),
      act('a', UA, '2026-10-20T00:00:00Z', 5),
      act('b', UA, '2026-10-20T00:00:00Z', 5),
    ]);
    expect(f.filter((x) => x.severity === 'medium').map((x) => x.subjectId)).toEqual(['b']);
  });
});

describe('security operations', () => {
  const addEligible = (
    actor: string,
    role: string,
    at: string,
    i: number,
  ) => `INSERT INTO int_pim_events (event_id, event_time, activity, service, step, request_type, kind, permanent, plane, request_key, keyed, principal_id, role_id, actor_id, actor_upn)
    VALUES ('e${actor}${i}', '${at}', 'Add eligible member to role in PIM completed (permanent)', 'PIM', 'assigned', 'assign_eligible', 'eligible', true, 'entra_role', 'k${actor}${i}', true, 'p${i}', '${role}', '${actor}', '${actor}@x.example')`;
  it('eligible-add bursts: 5 in an hour (user roles), 3 privileged; not 4 and 2', async () => {
    const ex = ROLES.exchangeAdmin.id;
    const rows = [
      ...[0, 10, 20, 30, 40].map((m, i) =>
        addEligible('burst', ex, `2026-10-05T10:${String(m).padStart(2, '0')}:00Z`, i),
      ),
      ...[0, 10, 20, 30].map((m, i) => addEligible('calm', ex, `2026-10-05T10:${String(m).padStart(2, '0')}:00Z`, i)),
      ...[0, 10, 20].map((m, i) => addEligible('priv', GA, `2026-10-06T10:${String(m).padStart(2, '0')}:00Z`, i)),
      ...[0, 10].map((m, i) => addEligible('priv2', GA, `2026-10-06T10:${String(m).padStart(2, '0')}:00Z`, i)),
    ];
    const f = await findings(SECURITY_OPERATIONS, rows);
    expect(
      f
        .filter((x) => x.severity === 'medium')
        .map((x) => x.subjectId)
        .sort(),
    ).toEqual(['burst', 'priv']);
  });
  it('activations outside business hours, in the configured time zone', async () => {
    // 06:30 UTC is 08:30 in Berlin (CEST): inside business hours there, outside them in UTC.
    const rows = [
      act('early', UA, '2026-10-06T06:30:00Z', 30),
      act('weekend', UA, '2026-10-10T12:00:00Z', 30),
      act('noon', UA, '2026-10-06T12:00:00Z', 30),
    ];
    const utc = await findings(SECURITY_OPERATIONS, rows);
    expect(
      utc
        .filter((x) => x.ruleId === 'after_hours_activation')
        .map((x) => x.subjectId)
        .sort(),
    ).toEqual(['early', 'weekend']);
    const berlin = await findings(SECURITY_OPERATIONS, rows, {
      detections: { businessHours: { timeZone: 'Europe/Berlin' } },
    });
    expect(berlin.filter((x) => x.ruleId === 'after_hours_activation').map((x) => x.subjectId)).toEqual(['weekend']);
  });

  it("activations judged against the admin's own hours once there is a habit (3 earlier, 5%, ±2 h, 90 days)", async () => {
    // Weekday nights at 22:00 (Mon 21 to Wed 23 September, before the period) make a habit; it needs 3.
    const nights = ['21', '22', '23'].map((d) => act('night', UA, `2026-09-${d}T22:00:00Z`, 30, 'expired', `n${d}`));
    const days = ['21', '22', '23'].map((d) => act('day', UA, `2026-09-${d}T09:00:00Z`, 30, 'expired', `d${d}`));
    const f = await findings(SECURITY_OPERATIONS, [
      ...nights,
      ...days,
      act('night', UA, '2026-10-08T23:59:00Z', 30, 'expired', 'n-usual'), // 1 h 59 from 22:00: usual
      act('day', UA, '2026-10-08T11:00:00Z', 30, 'expired', 'd-usual'), // exactly 2 h: usual
      act('day', UA, '2026-10-09T03:10:00Z', 30, 'expired', 'd-night'), // a day admin at 03:10: unusual
      act('night', UA, '2026-10-10T22:00:00Z', 30, 'expired', 'n-sat'), // Saturday: no weekend habit yet
      // Only two earlier activations: no habit, so business hours judge (09:00 on a Friday is fine).
      act('new', UA, '2026-10-01T09:00:00Z', 30, 'expired', 'x1'),
      act('new', UA, '2026-10-02T09:00:00Z', 30, 'expired', 'x2'),
      act('new', UA, '2026-10-09T09:00:00Z', 30, 'expired', 'x3'),
    ]);
    const hits = f.filter((x) => x.ruleId === 'after_hours_activation');
    expect(hits.map((x) => [x.subjectId, x.observed])).toEqual([
      ['day', '1 activation(s) outside their usual hours'],
      ['night', '1 activation(s) outside their usual hours'],
    ]);
    expect(hits[0].detail).toBe(
      'day@x.example activated Role fe93 at Fri 2026-10-09 03:10 UTC, outside their usual hours',
    );
    expect(hits[1].firstSeen).toBe('2026-10-10T22:00:00.000Z');
    // Before the period: three weekday nights at 22:00 and one at 02:00. At 00:30 only the 02:00 one is within
    // 2 h: 1 of 4 earlier activations is 25 %, usual at a 25 % share, unusual at 30 %.
    const shares = async (minShare: number) =>
      (
        await findings(
          SECURITY_OPERATIONS,
          [
            ...['21', '22', '23'].map((d) => act('owl', UA, `2026-09-${d}T22:00:00Z`, 30, 'expired', `o${d}`)),
            act('owl', UA, '2026-09-24T02:00:00Z', 30, 'expired', 'o24'),
            act('owl', UA, '2026-10-01T00:30:00Z', 30, 'expired', 'o-judged'),
          ],
          { detections: { usualHours: { minShare } } },
        )
      ).filter((x) => x.ruleId === 'after_hours_activation').length;
    expect(await shares(0.25)).toBe(0);
    expect(await shares(0.3)).toBe(1);
  });
});

describe('right-sizing and justification quality', () => {
  it('short activations: 3 of 5 under 10 minutes flags, 2 of 5 does not', async () => {
    const mk = (who: string, shorts: number) =>
      Array.from({ length: 5 }, (_, i) =>
        act(who, UA, `2026-10-0${i + 1}T10:00:00Z`, i < shorts ? 5 : 60, 'deactivated'),
      );
    const f = await findings(RIGHT_SIZING, [...mk('a', 3), ...mk('b', 2)]);
    expect(f.filter((x) => x.observed?.includes('ended within')).map((x) => x.subjectId)).toEqual([`a|${UA}`]);
  });
  it('short and boilerplate justifications; a required ticket missing', async () => {
    const req = (
      key: string,
      who: string,
      just: string | null,
      role = UA,
    ) => `INSERT INTO pim_requests (request_key, request_type, plane, principal_id, principal_upn, role_id, role_name, requested_at, justification)
      VALUES ('${key}', 'activate', 'entra_role', '${who}', '${who}@x.example', '${role}', 'R', '2026-10-05T10:00:00Z', ${just === null ? 'NULL' : `'${just}'`})`;
    const rows = [
      req('k1', 'a', 'fix'),
      req('k2', 'b', '123456789a'),
      req('k3', 'c', null),
      ...Array.from({ length: 10 }, (_, i) => req(`bp${i}`, `p${i}`, 'Daily administration work')),
      ...Array.from({ length: 9 }, (_, i) => req(`nb${i}`, `q${i}`, 'Routine maintenance task')),
      `INSERT INTO role_policies (observed_at, role_id, ticket_required) VALUES ('2026-10-01', '${UA}', true)`,
    ];
    const f = await findings(JUSTIFICATION, rows);
    expect(
      f
        .filter((x) => x.subjectType === 'principal')
        .map((x) => x.subjectId)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(f.filter((x) => x.subjectType === 'text').map((x) => x.subjectName)).toEqual(['Daily administration work']);
    expect(f.find((x) => x.subjectType === 'role')).toMatchObject({
      severity: 'medium',
      observed: '22 request(s) without a ticket',
    });
  });
});

import { generateTenant, emitFiles, detectionTruth } from '../fixtures/generator/index.js';
import { UNUSUAL_ADMIN } from '../fixtures/generator/activations.js';
import { importPaths } from '../cli/pipeline.js';

describe.each([
  { seed: 3, admins: 10 },
  { seed: 42, admins: 16 },
])('generator ground truth, seed $seed', (c) => {
  it('after-hours activations, unused eligibility, short and boilerplate justifications match the model', async () => {
    const t = generateTenant({ seed: c.seed, admins: c.admins, start: new Date('2026-06-01T00:00:00Z'), days: 75 });
    const dir = join(tmp.dir, `gt${c.seed}`);
    emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: c.seed });
    const config = testConfig({}, dir);
    const db = join(dir, 'p.duckdb');
    await importPaths(db, config, [join(dir, 'in')]);
    const p = {
      from: new Date('2026-07-01T00:00:00Z'),
      to: new Date('2026-08-01T00:00:00Z'),
      asOf: new Date('2026-08-01T00:00:00Z'),
    };
    const truthOptions = { startHour: 7, endHour: 19, unusedDays: 30, minJustification: 10, boilerplateRepeats: 10 };
    const truth = detectionTruth(t, { ...truthOptions, ...p });
    const f = await withDb(db, config, (x) =>
      runChecks(x, config, p, [...SECURITY_OPERATIONS, ...PIM_ALERTS, ...JUSTIFICATION]),
    );
    expect(new Set(f.filter((x) => x.ruleId === 'after_hours_activation').map((x) => x.subjectId))).toEqual(
      truth.afterHours,
    );
    // The last ten days hold the planted unusual activation; the night-shift admin's nights are their habit.
    const last = { from: new Date(t.end.getTime() - 10 * 86_400_000), to: t.end, asOf: t.end };
    const lastTruth = detectionTruth(t, { ...truthOptions, ...last });
    const lastFound = await withDb(db, config, (x) => runChecks(x, config, last, ['after_hours_activation']));
    expect(new Set(lastFound.map((x) => x.subjectId))).toEqual(lastTruth.afterHours);
    expect(lastTruth.afterHours.has(t.admins[UNUSUAL_ADMIN].id)).toBe(true);
    expect(lastTruth.afterHours.has(t.admins[c.admins - 1].id)).toBe(false);
    const nightly = t.activations.filter((m) => m.principal.id === t.admins[c.admins - 1].id && m.activatedAt);
    expect(
      nightly.filter((m) => m.activatedAt!.getUTCHours() >= 21 || m.activatedAt!.getUTCHours() < 5).length,
    ).toBeGreaterThan(10);
    expect(new Set(f.filter((x) => x.ruleId === 'unused_eligibility').map((x) => x.subjectId))).toEqual(truth.unused);
    expect(new Set(f.filter((x) => x.ruleId === 'short_justification').map((x) => x.subjectId))).toEqual(truth.shortBy);
    expect(new Set(f.filter((x) => x.subjectType === 'text').map((x) => x.subjectName))).toEqual(truth.boilerplate);
    expect(truth.afterHours.size).toBeGreaterThan(0);
    expect(truth.shortBy.size + truth.boilerplate.size).toBeGreaterThan(0);
  });
});

describe('bulk removals', () => {
  it('5 role removals by one actor within an hour is bulk; 4 is not', async () => {
    const rm = (
      actor: string,
      i: number,
      minute: number,
    ) => `INSERT INTO int_pim_events (event_id, event_time, activity, service, step, kind, plane, request_key, keyed, principal_id, role_id, actor_id, actor_upn)
      VALUES ('r${actor}${i}', '2026-10-07T09:${String(minute).padStart(2, '0')}:00Z', 'Remove member from role', 'Core Directory', 'direct_remove', 'active', 'entra_role', 'k${actor}${i}', false, 'p${i}', '${UA}', '${actor}', '${actor}@x.example')`;
    const f = await findings(SECURITY_OPERATIONS, [
      ...[0, 5, 10, 15, 20].map((m, i) => rm('bulk', i, m)),
      ...[0, 5, 10, 15].map((m, i) => rm('few', i, m)),
    ]);
    expect(f.filter((x) => x.observed?.includes('removals')).map((x) => x.subjectId)).toEqual(['bulk']);
  });
});

describe('the remaining detections', () => {
  it('right-sizing: runs to its end 3 of 5 (info) but not 2 of 5; 16 activations against peers of 4 is an outlier, 12 is not', async () => {
    const mk = (who: string, n: number, expired: number, role: string = UA) =>
      Array.from({ length: n }, (_, i) =>
        act(
          who,
          role,
          `2026-10-${String(1 + (i % 28)).padStart(2, '0')}T${String(8 + Math.floor(i / 28)).padStart(2, '0')}:00:00Z`,
          60,
          i < expired ? 'expired' : 'deactivated',
          `${who}-${i}`,
        ),
      );
    const f = await findings(RIGHT_SIZING, [
      ...mk('a', 5, 3),
      ...mk('b', 5, 2),
      ...mk('p1', 4, 0, GA),
      ...mk('p2', 4, 0, GA),
      ...mk('p3', 4, 0, GA),
      ...mk('hot', 16, 0, GA),
      ...mk('warm', 12, 0, GA),
    ]);
    expect(f.filter((x) => x.observed?.includes('ran to their end')).map((x) => x.subjectId)).toEqual([`a|${UA}`]);
    expect(f.filter((x) => x.observed?.includes('vs a median')).map((x) => x.subjectId)).toEqual([`hot|${GA}`]);
  });
  it('elevation without activity; roles assigned outside PIM; PIM alerts disabled', async () => {
    const ev = (
      id: string,
      actor: string,
      at: string,
      activity: string,
      service = 'Core Directory',
      reason = '',
    ) => `INSERT INTO audit_events (event_id, event_time, activity, service, result_reason, actor_id, actor_upn, source_shape, landing_file, landing_line, ingested_at)
      VALUES ('${id}', '${at}', '${activity}', '${service}', '${reason}', '${actor}', '${actor}@x.example', 't', 'f', 1, now())`;
    const f1 = await findings(
      ['elevation_without_activity'],
      [
        act('busy', UA, '2026-10-05T10:00:00Z', 60),
        act('idle', UA, '2026-10-05T10:00:00Z', 60),
        ev('x1', 'busy', '2026-10-05T10:30:00Z', 'Update user'),
        ev('x2', 'idle', '2026-10-05T11:30:00Z', 'Update user'),
      ],
    );
    expect(f1.map((x) => x.subjectId)).toEqual(['idle']); // idle's only record came after the activation ended
    const outside = `INSERT INTO int_pim_events (event_id, event_time, activity, service, step, kind, plane, request_key, keyed, principal_id, principal_upn, role_id, role_name, actor_id, actor_upn)
      VALUES ('o1', '2026-10-08T09:00:00Z', 'Add member to role', 'Core Directory', 'direct_add', 'active', 'entra_role', 'event:o1', false, 'victim', 'victim@x.example', '${GA}', 'Global Administrator', 'admin', 'admin@x.example')`;
    const f2 = await findings(PIM_ALERTS, [outside]);
    expect(f2.filter((x) => x.severity === 'high').map((x) => x.detail)).toEqual([
      'victim@x.example was given Global Administrator outside PIM by admin@x.example',
    ]);
    const f3 = await findings(SECURITY_OPERATIONS, [
      ev('a1', 'admin', '2026-10-09T09:00:00Z', 'Disable PIM alert', 'PIM', 'Roles are being assigned outside of PIM'),
      ev('a2', 'admin', '2026-10-09T09:05:00Z', 'Resolve PIM alert', 'PIM'),
    ]);
    expect(f3.filter((x) => x.severity === 'high').map((x) => x.observed)).toEqual(['Disable PIM alert']);
  });
});

describe('real-tenant detections (issue 18)', () => {
  // One PIM record as int_pim_events holds it; the address and agent kinds are the point here.
  const pim = (
    id: string,
    at: string,
    step: string,
    o: {
      who?: string;
      actor?: string;
      ip?: string;
      role?: string;
      kind?: string;
      agent?: string;
      actorAgent?: string;
      key?: string;
    } = {},
  ) =>
    `INSERT INTO int_pim_events (event_id, event_time, activity, service, step, kind, plane, request_key, keyed, principal_id, principal_upn, role_id, role_name, actor_id, actor_upn, actor_ip, principal_agent_type, actor_agent_type)
     VALUES ('${id}', '${at}', 'x', 'PIM', '${step}', ${o.kind ? `'${o.kind}'` : 'NULL'}, 'entra_role', '${o.key ?? id}', true, '${o.who ?? 'a'}', '${o.who ?? 'a'}@x.example', '${o.role ?? UA}', 'Role', '${o.actor ?? o.who ?? 'a'}', '${o.actor ?? o.who ?? 'a'}@x.example',
       ${o.ip ? `'${o.ip}'` : 'NULL'}, ${o.agent ? `'${o.agent}'` : 'NULL'}, ${o.actorAgent ? `'${o.actorAgent}'` : 'NULL'})`;
  it('new request address: judged after 30 days of history; an address used 29 days before is known, 31 days before is new', async () => {
    const f = await findings(
      ['new_request_address'],
      [
        // a: history from August; the address 10.0.0.2 last used 29 days before (known), 10.0.0.3 31 days before (new).
        pim('a0', '2026-08-01T09:00:00Z', 'act_requested', { ip: '10.0.0.1' }),
        pim('a1', '2026-09-16T09:00:00Z', 'act_requested', { ip: '10.0.0.2' }),
        pim('a2', '2026-09-14T09:00:00Z', 'act_requested', { ip: '10.0.0.3' }),
        pim('known', '2026-10-15T09:00:00Z', 'act_requested', { ip: '10.0.0.2' }),
        pim('new', '2026-10-15T09:00:00Z', 'act_requested', { ip: '10.0.0.3' }),
        // b: history only 29 days old, so a first-time address proves nothing yet.
        pim('b0', '2026-09-17T09:00:00Z', 'act_requested', { who: 'b', ip: '10.0.1.1' }),
        pim('short', '2026-10-16T09:00:00Z', 'act_requested', { who: 'b', ip: '10.0.1.9' }),
      ],
    );
    expect(f.map((x) => [x.subjectId, x.observed])).toEqual([['new', 'new address 10.0.0.3']]);
    // The window is the config's: at 32 days the address used 31 days before is known again.
    const wide = await findings(
      ['new_request_address'],
      [
        pim('a0', '2026-08-01T09:00:00Z', 'act_requested', { ip: '10.0.0.1' }),
        pim('a2', '2026-09-14T09:00:00Z', 'act_requested', { ip: '10.0.0.3' }),
        pim('new', '2026-10-15T09:00:00Z', 'act_requested', { ip: '10.0.0.3' }),
      ],
      { detections: { newAddressDays: 32 } },
    );
    expect(wide).toEqual([]);
  });
  it('agent with a privileged role: tier 0 high, privileged medium, unprivileged and people not; an approving agent', async () => {
    const ex = ROLES.exchangeAdmin.id;
    const f = await findings(
      ['agent_privileged_role'],
      [
        pim('g1', '2026-10-05T09:00:00Z', 'assigned', {
          who: 'bot',
          role: GA,
          kind: 'eligible',
          agent: 'agentIdentity',
          actor: 'lead',
        }),
        pim('g2', '2026-10-05T10:00:00Z', 'activated', {
          who: 'bot',
          role: ROLES.securityAdmin.id,
          agent: 'agentIdentity',
        }),
        pim('g3', '2026-10-05T11:00:00Z', 'activated', { who: 'bot2', role: ex, agent: 'agentIdentity' }),
        pim('g4', '2026-10-05T12:00:00Z', 'activated', { who: 'human', role: GA, agent: 'notAgentic' }),
        pim('g5', '2026-10-05T13:00:00Z', 'approved', {
          who: 'c',
          role: ex,
          actor: 'approverbot',
          actorAgent: 'agentIdentity',
        }),
      ],
    );
    expect(f.map((x) => [x.severity, x.subjectId, x.observed])).toEqual([
      ['high', `bot|${GA}`, 'made eligible (agentIdentity)'],
      ['medium', `bot|${ROLES.securityAdmin.id}`, 'activated (agentIdentity)'],
      ['medium', 'approverbot', 'approved a request for (agentIdentity)'],
    ]);
    // A snapshot that calls the role unprivileged wins over the shipped list.
    const snap = `INSERT INTO role_definitions (observed_at, role_id, role_name, is_built_in, is_privileged, landing_file) VALUES ('2026-10-01', '${ROLES.securityAdmin.id}', 'Security Administrator', true, false, 'f')`;
    const g = await findings(
      ['agent_privileged_role'],
      [
        snap,
        pim('g2', '2026-10-05T10:00:00Z', 'activated', {
          who: 'bot',
          role: ROLES.securityAdmin.id,
          agent: 'agentIdentity',
        }),
      ],
    );
    expect(g).toEqual([]);
  });
  it.each([
    { seed: 7, admins: 10 },
    { seed: 42, admins: 14 },
  ])('the generator’s planted new address and agent, seed $seed', async (c) => {
    const start = new Date('2026-05-01T00:00:00Z');
    const t = generateTenant({ seed: c.seed, admins: c.admins, start, days: 60 });
    const dir = join(tmp.dir, `rt${c.seed}`);
    emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: c.seed });
    const config = testConfig({}, dir);
    const db = join(dir, 'p.duckdb');
    await importPaths(db, config, [join(dir, 'in')]);
    const p = { from: start, to: t.end, asOf: t.end };
    const f = await withDb(db, config, (x) =>
      runChecks(x, config, p, ['new_request_address', 'agent_privileged_role']),
    );
    expect(t.incidents.newAddresses.length).toBe(1);
    expect(f.filter((x) => x.ruleId === 'new_request_address').map((x) => [x.subjectId, x.observed])).toEqual(
      t.incidents.newAddresses.map((n) => [n.requestKey, `new address ${n.ip}`]),
    );
    const agent = f.filter((x) => x.ruleId === 'agent_privileged_role');
    expect(agent.filter((x) => x.observed?.startsWith('activated')).map((x) => x.subjectId)).toEqual(
      t.incidents.agentActivations.map((a) => `${a.principalId}|${a.roleId}`),
    );
    // The same agent was made eligible first (Security Administrator: privileged, not tier 0); nothing else.
    expect(agent.map((x) => [x.severity, x.observed])).toEqual([
      ['medium', 'made eligible (agentIdentity)'],
      ['medium', 'activated (agentIdentity)'],
    ]);
  });
});
