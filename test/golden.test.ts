// Hand-computed cases for every metric edge. Each case writes a handful of records, imports them
// into a fresh database, and compares against numbers worked out by hand in the comments.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../fixtures/generator/prng.js';
import {
  pimRecord,
  directoryRoleRecord,
  type AuditRecord,
  type Principal,
  type PimEventSpec,
} from '../fixtures/generator/records.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { metricsReport } from '../reports/metrics.js';
import { runQuery } from '../queries/registry.js';
import { tempDir, testConfig } from './helpers.js';

const rng = new Rng(1);
const tenant = { id: '11111111-1111-4111-8111-111111111111', name: 'Golden' };
const dir = { id: '/', name: 'Directory' };
const alice: Principal = {
  id: 'a0000000-0000-4000-8000-00000000000a',
  upn: 'alice@golden.example',
  name: 'Alice',
  type: 'User',
};
const bob: Principal = {
  id: 'b0000000-0000-4000-8000-00000000000b',
  upn: 'bob@golden.example',
  name: 'Bob',
  type: 'User',
};
const carol: Principal = {
  id: 'c0000000-0000-4000-8000-00000000000c',
  upn: 'carol@golden.example',
  name: 'Carol',
  type: 'User',
};
const approver: Principal = {
  id: 'd0000000-0000-4000-8000-00000000000d',
  upn: 'dave@golden.example',
  name: 'Dave',
  type: 'User',
};
const glass: Principal = {
  id: 'e0000000-0000-4000-8000-00000000000e',
  upn: 'glass@golden.example',
  name: 'Break Glass',
  type: 'User',
};
const T = (s: string) => new Date(s);

type Ev = Omit<PimEventSpec, 'operationType' | 'plane' | 'scope' | 'auditType'> & { plane?: PimEventSpec['plane'] };
const pim = (e: Ev): AuditRecord =>
  pimRecord({ plane: 'entra_role', scope: dir, auditType: 'X', operationType: 'Update', ...e }, tenant, rng);

function selfActivation(
  p: Principal,
  role: { id: string; name: string },
  key: string,
  keyMode: Ev['keyMode'],
  requested: string,
  activated: string,
  extra: Record<string, string> = {},
) {
  return [
    pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T(requested),
      role,
      principal: p,
      actor: p,
      key,
      keyMode,
      extraDetails: { IsActivationRequireApproval: 'false' },
    }),
    pim({
      activity: 'Add member to role completed (PIM activation)',
      at: T(activated),
      role,
      principal: p,
      actor: p,
      key,
      keyMode,
      extraDetails: { StartTime: T(activated).toISOString(), ...extra },
    }),
    directoryRoleRecord(
      {
        add: true,
        at: T(activated),
        role,
        directoryRoleObjectId: 'f' + role.id.slice(1),
        principal: p,
        actor: 'MS-PIM',
      },
      rng,
    ),
  ];
}
function approvalRequest(
  p: Principal,
  role: { id: string; name: string },
  key: string,
  keyMode: Ev['keyMode'],
  requested: string,
  outcome: 'approved' | 'denied',
  decided: string,
  activated?: string,
) {
  const recs = [
    pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T(requested),
      role,
      principal: p,
      actor: p,
      key,
      keyMode,
      extraDetails: { IsActivationRequireApproval: 'true' },
    }),
    pim({
      activity: 'Add member to role approval requested (PIM activation)',
      at: new Date(T(requested).getTime() + 1000),
      role,
      principal: p,
      actor: p,
      key,
      keyMode,
    }),
    pim({
      activity: `Add member to role request ${outcome} (PIM activation)`,
      at: T(decided),
      role,
      principal: p,
      actor: approver,
      key,
      keyMode,
    }),
  ];
  if (activated)
    recs.push(
      pim({
        activity: 'Add member to role completed (PIM activation)',
        at: T(activated),
        role,
        principal: p,
        actor: p,
        key,
        keyMode,
      }),
    );
  return recs;
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function load(name: string, records: AuditRecord[], over: Record<string, unknown> = {}) {
  const d = join(tmp.dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'audit.ndjson'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const config = testConfig(over, d);
  const db = join(d, 'p.duckdb');
  const summary = await importPaths(db, config, [join(d, 'audit.ndjson')]);
  const report = (from: string, to: string, asOf = to) =>
    withDb(db, config, (x) => metricsReport(x, config, { from: T(from), to: T(to), asOf: T(asOf) }));
  const query = (id: string, params: Record<string, unknown>) => withDb(db, config, (x) => runQuery(x, id, params));
  return { summary, report, query };
}

describe('time to activate', () => {
  let ctx: Awaited<ReturnType<typeof load>>;
  beforeAll(async () => {
    ctx = await load('tta', [
      // In September by its request time, although it completed in October: exactly 300 s (not under the 5-minute target).
      ...selfActivation(alice, ROLES.userAdmin, 'k-sep', 'detail', '2026-09-30T23:58:00Z', '2026-10-01T00:03:00Z'),
      // October, 60 s, key only on the Request target.
      ...selfActivation(alice, ROLES.userAdmin, 'k-target', 'target', '2026-10-02T09:00:00Z', '2026-10-02T09:01:00Z'),
      // October, 120 s, no key at all: paired by principal, role and time.
      ...selfActivation(bob, ROLES.exchangeAdmin, 'unused', 'none', '2026-10-03T09:00:00Z', '2026-10-03T09:02:00Z'),
      // October, with approval: 25 min and 50 min (approval keyless too).
      ...approvalRequest(
        carol,
        ROLES.globalAdmin,
        'k-appr1',
        'detail',
        '2026-10-04T10:00:00Z',
        'approved',
        '2026-10-04T10:24:30Z',
        '2026-10-04T10:25:00Z',
      ),
      ...approvalRequest(
        carol,
        ROLES.globalAdmin,
        'unused2',
        'none',
        '2026-10-05T10:00:00Z',
        'approved',
        '2026-10-05T10:49:00Z',
        '2026-10-05T10:50:00Z',
      ),
    ]);
  });

  it('counts a request in the period of its request time, targets strictly under', async () => {
    const sep = await ctx.report('2026-09-01', '2026-10-01');
    expect(sep.timeToActivate.self).toMatchObject({ count: 1, p50Seconds: 300, maxSeconds: 300, withinTarget: 0 });
    const oct = await ctx.report('2026-10-01', '2026-11-01');
    // self: 60 and 120 → p50 = 90, p90 = 60 + 0.9 × 60 = 114.
    expect(oct.timeToActivate.self).toEqual({
      count: 2,
      p50Seconds: 90,
      p90Seconds: 114,
      maxSeconds: 120,
      targetSeconds: 300,
      withinTarget: 2,
    });
    // approval: 1500 and 3000 → p50 2250, p90 1500 + 0.9 × 1500 = 2850; one under 1800.
    expect(oct.timeToActivate.approval).toEqual({
      count: 2,
      p50Seconds: 2250,
      p90Seconds: 2850,
      maxSeconds: 3000,
      targetSeconds: 1800,
      withinTarget: 1,
    });
  });

  it('never counts the Core Directory companions as requests', async () => {
    const rows = await ctx.query('time_to_activate', {
      from: '2026-09-01',
      to: '2026-11-01',
      self_target_seconds: 300,
      approval_target_seconds: 1800,
    });
    expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(5);
  });

  it('lists each activation behind the distribution, slowest first, in the period of its request', async () => {
    const rows = await ctx.query('time_to_activate_detail', { from: '2026-10-01', to: '2026-11-01' });
    // The four October activations: 3000 s and 1500 s with Dave's approval, then 120 s and 60 s self-service.
    expect(rows.map((r) => [r.route, r.principal_upn, r.role_name, r.seconds, r.approver_upn])).toEqual([
      ['approval', 'carol@golden.example', 'Global Administrator', 3000, 'dave@golden.example'],
      ['approval', 'carol@golden.example', 'Global Administrator', 1500, 'dave@golden.example'],
      ['self', 'bob@golden.example', 'Exchange Administrator', 120, null],
      ['self', 'alice@golden.example', 'User Administrator', 60, null],
    ]);
    expect(rows.filter((r) => ['k-appr1', 'k-target'].includes(String(r.request_key))).map((r) => r.seconds)).toEqual([
      1500, 60,
    ]);
    // The one requested before midnight on 30 September belongs to September, though granted in October.
    const sep = await ctx.query('time_to_activate_detail', { from: '2026-09-01', to: '2026-10-01' });
    expect(sep.map((r) => [r.request_key, r.route, r.seconds])).toEqual([['k-sep', 'self', 300]]);
  });

  it('counts self-activated and approved requests per role', async () => {
    const rows = await ctx.query('request_outcomes_by_role', { from: '2026-10-01', to: '2026-11-01' });
    expect(rows.map((r) => [r.plane, r.role_name, r.outcome, Number(r.requests)])).toEqual([
      ['entra_role', 'Exchange Administrator', 'self-activated', 1],
      ['entra_role', 'Global Administrator', 'approved', 2],
      ['entra_role', 'User Administrator', 'self-activated', 1],
    ]);
  });
});

describe('approvals', () => {
  it('rates by final decision, flags a role at the denial threshold with enough decisions', async () => {
    const recs: AuditRecord[] = [];
    let day = 1;
    const req = (p: Principal, role: { id: string; name: string }, outcome: 'approved' | 'denied') => {
      const d = String(day++).padStart(2, '0');
      recs.push(
        ...approvalRequest(
          p,
          role,
          `k-${role.id.slice(0, 4)}-${d}-${outcome}`,
          'detail',
          `2026-10-${d}T08:00:00Z`,
          outcome,
          `2026-10-${d}T08:10:00Z`,
          outcome === 'approved' ? `2026-10-${d}T08:10:05Z` : undefined,
        ),
      );
    };
    // Global Administrator: 4 approved, 1 denied = 20 % of 5 decisions → flagged (≥ 0.2, ≥ 5).
    for (let i = 0; i < 4; i++) req(alice, ROLES.globalAdmin, 'approved');
    req(alice, ROLES.globalAdmin, 'denied');
    // Security Administrator: 3 approved, 1 denied = 25 % but only 4 decisions → not flagged.
    for (let i = 0; i < 3; i++) req(bob, ROLES.securityAdmin, 'approved');
    req(bob, ROLES.securityAdmin, 'denied');
    // One request left to expire, one canceled, one still pending at the end of the log.
    recs.push(
      pim({
        activity: 'Add member to role requested (PIM activation)',
        at: T('2026-10-20T08:00:00Z'),
        role: ROLES.privilegedRoleAdmin,
        principal: carol,
        actor: carol,
        key: 'k-exp',
        keyMode: 'detail',
        extraDetails: { IsActivationRequireApproval: 'true' },
      }),
      pim({
        activity: 'PIM activation request expired',
        at: T('2026-10-21T08:00:00Z'),
        role: ROLES.privilegedRoleAdmin,
        principal: carol,
        actor: 'system',
        key: 'k-exp',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Add member to role requested (PIM activation)',
        at: T('2026-10-22T08:00:00Z'),
        role: ROLES.privilegedRoleAdmin,
        principal: carol,
        actor: carol,
        key: 'k-can',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Add member to role approval requested (PIM activation)',
        at: T('2026-10-22T08:00:01Z'),
        role: ROLES.privilegedRoleAdmin,
        principal: carol,
        actor: carol,
        key: 'k-can',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Add member to role canceled (PIM activation)',
        at: T('2026-10-22T08:05:00Z'),
        role: ROLES.privilegedRoleAdmin,
        principal: carol,
        actor: carol,
        key: 'k-can',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Add member to role requested (PIM activation)',
        at: T('2026-10-30T08:00:00Z'),
        role: ROLES.privilegedRoleAdmin,
        principal: carol,
        actor: carol,
        key: 'k-pend',
        keyMode: 'detail',
        extraDetails: { IsActivationRequireApproval: 'true' },
      }),
      // An extend request approved by an admin: reported apart, never in the activation rate.
      pim({
        activity: 'Update member in PIM requested (extend)',
        at: T('2026-10-25T08:00:00Z'),
        role: ROLES.userAdmin,
        principal: bob,
        actor: bob,
        key: 'k-ext',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Update member in PIM approved by admin (extend/renew)',
        at: T('2026-10-25T09:00:00Z'),
        role: ROLES.userAdmin,
        principal: bob,
        actor: approver,
        key: 'k-ext',
        keyMode: 'detail',
      }),
    );
    const ctx = await load('approvals', recs);
    const r = await ctx.report('2026-10-01', '2026-11-01');
    // 7 approved, 2 denied → 7/9.
    expect(r.approvals).toMatchObject({ approved: 7, denied: 2, expired: 1, canceled: 1, pending: 1 });
    expect(r.approvals.approvalRate).toBeCloseTo(7 / 9, 6);
    const byRole = Object.fromEntries(r.approvals.byRole.map((x) => [x.roleName, x]));
    expect(byRole['Global Administrator']).toMatchObject({ approved: 4, denied: 1, flagged: true });
    expect(byRole['Security Administrator']).toMatchObject({ approved: 3, denied: 1, flagged: false });
    expect(r.approvals.byApprover).toEqual([
      expect.objectContaining({
        approverUpn: 'dave@golden.example',
        approved: 7,
        denied: 2,
        p50WaitSeconds: 600,
        selfApprovals: 0,
      }),
    ]);
    expect(r.approvals.extendRenew.extend).toMatchObject({ approved: 1, denied: 0 });
  });
});

describe('active hours', () => {
  let ctx: Awaited<ReturnType<typeof load>>;
  beforeAll(async () => {
    const expiry = (
      p: Principal,
      role: { id: string; name: string },
      key: string,
      at: string,
      keyMode: Ev['keyMode'] = 'detail',
    ) =>
      pim({
        activity: 'Remove member from role (PIM activation expired)',
        at: T(at),
        role,
        principal: p,
        actor: 'system',
        key,
        keyMode,
        principalSlot: 'late',
      });
    const deactivate = (p: Principal, role: { id: string; name: string }, at: string) => [
      pim({
        activity: 'Remove member from role requested (PIM deactivate)',
        at: T(at),
        role,
        principal: p,
        actor: p,
        key: `d-${at}`,
        keyMode: 'detail',
      }),
      pim({
        activity: 'Remove member from role completed (PIM deactivate)',
        at: T(at),
        role,
        principal: p,
        actor: p,
        key: `d-${at}`,
        keyMode: 'detail',
      }),
    ];
    ctx = await load('hours', [
      // Crosses the month end: 1 h in September, 2 h in October; expiry logged 5 s late, scheduled end stated.
      ...selfActivation(alice, ROLES.userAdmin, 'h1', 'detail', '2026-09-30T22:59:00Z', '2026-09-30T23:00:00Z', {
        ExpirationTime: '2026-10-01T02:00:00Z',
      }),
      expiry(alice, ROLES.userAdmin, 'h1', '2026-10-01T02:00:05Z'),
      // Deactivated after 30 min although 2 h were scheduled.
      ...selfActivation(bob, ROLES.exchangeAdmin, 'h2', 'detail', '2026-10-10T09:59:00Z', '2026-10-10T10:00:00Z', {
        ExpirationTime: '2026-10-10T12:00:00Z',
      }),
      ...deactivate(bob, ROLES.exchangeAdmin, '2026-10-10T10:30:00Z'),
      // Expiry without a stated end and without a key: ends when the expiry was logged (1 h 7 s).
      ...selfActivation(bob, ROLES.exchangeAdmin, 'unused', 'none', '2026-10-11T08:59:00Z', '2026-10-11T09:00:00Z'),
      expiry(bob, ROLES.exchangeAdmin, 'unused', '2026-10-11T10:00:07Z', 'none'),
      // Still open at as-of (scheduled to end after it): cut at as-of.
      ...selfActivation(carol, ROLES.helpdeskAdmin, 'h4', 'detail', '2026-10-31T21:59:00Z', '2026-10-31T22:00:00Z', {
        ExpirationTime: '2026-11-01T06:00:00Z',
      }),
    ]);
  });

  it('clips windows to months and to the period, and ends them at deactivation, expiry or as-of', async () => {
    const oct = await ctx.report('2026-10-01', '2026-11-01');
    const by = Object.fromEntries(oct.activeHours.map((h) => [`${h.principalUpn} ${h.month}`, h]));
    expect(by['alice@golden.example 2026-10']).toMatchObject({ activations: 0, hours: 2 });
    expect(by['bob@golden.example 2026-10'].activations).toBe(2);
    expect(by['bob@golden.example 2026-10'].hours).toBeCloseTo(0.5 + 1 + 7 / 3600, 6);
    expect(by['carol@golden.example 2026-10']).toMatchObject({ activations: 1, hours: 2 });
    expect(oct.activeHours).toHaveLength(3);

    const both = await ctx.report('2026-09-01', '2026-11-01');
    const alice = both.activeHours.filter((h) => h.principalUpn === 'alice@golden.example');
    expect(alice).toEqual([
      {
        principalId: 'a0000000-0000-4000-8000-00000000000a',
        principalUpn: 'alice@golden.example',
        month: '2026-09',
        activations: 1,
        hours: 1,
        hoursLowerBound: false,
        lowerBoundActivations: 0,
      },
      {
        principalId: 'a0000000-0000-4000-8000-00000000000a',
        principalUpn: 'alice@golden.example',
        month: '2026-10',
        activations: 0,
        hours: 2,
        hoursLowerBound: false,
        lowerBoundActivations: 0,
      },
    ]);
    // An earlier as-of cuts the open window sooner: 22:00 → 23:30 = 1.5 h.
    const early = await ctx.report('2026-10-01', '2026-11-01', '2026-10-31T23:30:00Z');
    expect(early.activeHours.find((h) => h.principalUpn === 'carol@golden.example')?.hours).toBe(1.5);
  });

  it('records why each window ended', async () => {
    const rows = await ctx.query('active_hours', { from: '2026-10-01', to: '2026-11-01', as_of: '2026-11-01' });
    expect(rows.length).toBe(3);
    const ends = await withDbQuery(
      ctx,
      'SELECT principal_upn, end_reason, ended_at FROM pim_activations ORDER BY started_at',
    );
    expect(ends.map((e) => e.end_reason)).toEqual(['expired', 'deactivated', 'expired', 'open']);
    expect((ends[0].ended_at as Date).toISOString()).toBe('2026-10-01T02:00:00.000Z');
  });
});

async function withDbQuery(ctx: Awaited<ReturnType<typeof load>>, sql: string) {
  void ctx;
  return withDb(join(tmp.dir, 'hours', 'p.duckdb'), testConfig({}, join(tmp.dir, 'hours')), (db) => db.all(sql));
}

describe('standing assignments', () => {
  let ctx: Awaited<ReturnType<typeof load>>;
  beforeAll(async () => {
    const assign = (
      p: Principal,
      role: { id: string; name: string },
      key: string,
      at: string,
      kind: 'permanent' | 'timebound',
      extra: Record<string, string> = {},
    ) => [
      pim({
        activity: `Add member to role in PIM requested (${kind})`,
        at: T(at),
        role,
        principal: p,
        actor: approver,
        key,
        keyMode: 'detail',
        extraDetails: extra,
      }),
      pim({
        activity: `Add member to role in PIM completed (${kind})`,
        at: T(at),
        role,
        principal: p,
        actor: approver,
        key,
        keyMode: 'detail',
        extraDetails: extra,
      }),
      directoryRoleRecord(
        { add: true, at: T(at), role, directoryRoleObjectId: 'f' + role.id.slice(1), principal: p, actor: 'MS-PIM' },
        rng,
      ),
    ];
    ctx = await load(
      'standing',
      [
        // Break-glass: permanent Global Administrator through PIM.
        ...assign(glass, ROLES.globalAdmin, 's1', '2026-09-01T00:00:00Z', 'permanent'),
        // Outside PIM: a direct Core Directory add, then PIM's repeated notices: one assignment.
        directoryRoleRecord(
          {
            add: true,
            at: T('2026-09-02T00:00:00Z'),
            role: ROLES.privilegedRoleAdmin,
            directoryRoleObjectId: 'x1',
            principal: bob,
            actor: alice,
          },
          rng,
        ),
        ...[2, 4, 6].map((h) =>
          pim({
            activity: 'Add member to role outside of PIM (permanent)',
            at: T(`2026-09-02T0${h}:00:00Z`),
            role: ROLES.privilegedRoleAdmin,
            principal: bob,
            actor: alice,
            key: `o${h}`,
            keyMode: 'detail',
          }),
        ),
        // The same through US Government's MS-PIM-Fairfax: a companion, not an assignment.
        {
          ...directoryRoleRecord(
            {
              add: true,
              at: T('2026-09-03T00:00:00Z'),
              role: ROLES.userAdmin,
              directoryRoleObjectId: 'x2',
              principal: carol,
              actor: 'MS-PIM',
            },
            rng,
          ),
          initiatedBy: {
            app: { appId: null, displayName: 'MS-PIM-Fairfax', servicePrincipalId: 'aa', servicePrincipalName: null },
            user: null,
          },
        },
        // Permanent, then removed on 10 October.
        ...assign(alice, ROLES.userAdmin, 's3', '2026-10-01T00:00:00Z', 'permanent'),
        pim({
          activity: 'Remove member from role in PIM completed (permanent)',
          at: T('2026-10-10T00:00:00Z'),
          role: ROLES.userAdmin,
          principal: alice,
          actor: approver,
          key: 's3r',
          keyMode: 'detail',
        }),
        // Timebound: has an end date, so not standing.
        ...assign(carol, ROLES.helpdeskAdmin, 's4', '2026-10-01T00:00:00Z', 'timebound', {
          ExpirationTime: '2026-12-31T00:00:00Z',
        }),
        // Eligible only: never standing.
        pim({
          activity: 'Add eligible member to role in PIM completed (permanent)',
          at: T('2026-09-05T00:00:00Z'),
          role: ROLES.securityAdmin,
          principal: carol,
          actor: approver,
          key: 's5',
          keyMode: 'detail',
        }),
      ],
      { breakGlassAccounts: ['GLASS@golden.example'] },
    );
  });

  it('counts outside-PIM once, keeps break-glass apart, and sees removal at the as-of time', async () => {
    const before = await ctx.report('2026-10-01', '2026-10-05');
    expect(before.standingAssignments).toMatchObject({
      total: 3,
      breakGlass: 1,
      servicePrincipals: 0,
      excludingBreakGlass: 2,
      basis: 'audit_replay',
    });
    const items = before.standingAssignments.items.map((i) => [i.principalUpn, i.roleName, i.breakGlass, i.viaPim]);
    expect(items.sort()).toEqual([
      ['alice@golden.example', 'User Administrator', false, true],
      ['bob@golden.example', 'Privileged Role Administrator', false, false],
      ['glass@golden.example', 'Global Administrator', true, true],
    ]);
    expect(before.standingAssignments.items.find((i) => i.principalUpn === 'bob@golden.example')?.since).toBe(
      '2026-09-02T00:00:00.000Z',
    );
    const after = await ctx.report('2026-10-01', '2026-10-15');
    expect(after.standingAssignments).toMatchObject({ total: 2, breakGlass: 1, excludingBreakGlass: 1 });
    // Replay says from when it can see.
    expect(after.standingAssignments.visibleFrom).toBe('2026-09-01T00:00:00.000Z');
  });

  it('prefers the newest snapshot at or before as-of over replay', async () => {
    await withDb(join(tmp.dir, 'standing', 'p.duckdb'), testConfig({}, join(tmp.dir, 'standing')), async (db) => {
      await db.run(`INSERT INTO role_assignments (plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind, member_type, start_at, end_at, is_permanent, via_pim, source, observed_at)
        VALUES ('entra_role', 'z1', 'zed@golden.example', 'user', 'r', 'Some Role', '/', 'active', 'direct', '2026-01-01', NULL, true, true, 'snapshot', '2026-10-03'),
               ('entra_role', 'z2', 'old@golden.example', 'user', 'r', 'Some Role', '/', 'active', 'direct', '2026-01-01', NULL, true, true, 'snapshot', '2026-09-20')`);
    });
    const r = await ctx.report('2026-10-01', '2026-10-05');
    expect(r.standingAssignments).toMatchObject({
      total: 1,
      basis: 'snapshot',
      snapshotAt: '2026-10-03T00:00:00.000Z',
      visibleFrom: null,
    });
    expect(r.standingAssignments.items[0].principalUpn).toBe('zed@golden.example');
  });
});

describe('approval latency', () => {
  const erin: Principal = {
    id: 'f0000000-0000-4000-8000-00000000000f',
    upn: 'erin@golden.example',
    name: 'Erin',
    type: 'User',
  };
  const decided = (
    p: Principal,
    role: { id: string; name: string },
    key: string,
    by: Principal,
    outcome: 'approved' | 'denied',
    requested: string,
    at: string,
  ) => [
    pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T(requested),
      role,
      principal: p,
      actor: p,
      key,
      keyMode: 'detail',
      extraDetails: { IsActivationRequireApproval: 'true' },
    }),
    pim({
      activity: 'Add member to role approval requested (PIM activation)',
      at: new Date(T(requested).getTime() + 1000),
      role,
      principal: p,
      actor: p,
      key,
      keyMode: 'detail',
    }),
    pim({
      activity: `Add member to role request ${outcome} (PIM activation)`,
      at: T(at),
      role,
      principal: p,
      actor: by,
      key,
      keyMode: 'detail',
    }),
  ];
  const unanswered = (
    p: Principal,
    role: { id: string; name: string },
    key: string,
    requested: string,
    expiredAt?: string,
  ) => [
    pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T(requested),
      role,
      principal: p,
      actor: p,
      key,
      keyMode: 'detail',
      extraDetails: { IsActivationRequireApproval: 'true' },
    }),
    ...(expiredAt
      ? [
          pim({
            activity: 'PIM activation request expired',
            at: T(expiredAt),
            role,
            principal: p,
            actor: 'system',
            key,
            keyMode: 'detail',
          }),
        ]
      : []),
  ];
  let ctx: Awaited<ReturnType<typeof load>>;
  beforeAll(async () => {
    ctx = await load('latency', [
      // September by its request time although decided in October: 1800 s, Dave, Global Administrator.
      ...decided(
        alice,
        ROLES.globalAdmin,
        'l-sep',
        approver,
        'approved',
        '2026-09-30T23:50:00Z',
        '2026-10-01T00:20:00Z',
      ),
      // October, Global Administrator: 600 s (Dave), 1800 s (Dave), 3600 s (Erin, denied), and one that expired unanswered.
      ...decided(
        alice,
        ROLES.globalAdmin,
        'l-ga1',
        approver,
        'approved',
        '2026-10-02T10:00:00Z',
        '2026-10-02T10:10:00Z',
      ),
      ...decided(bob, ROLES.globalAdmin, 'l-ga2', approver, 'approved', '2026-10-03T11:00:00Z', '2026-10-03T11:30:00Z'),
      ...decided(carol, ROLES.globalAdmin, 'l-ga3', erin, 'denied', '2026-10-04T12:00:00Z', '2026-10-04T13:00:00Z'),
      ...unanswered(carol, ROLES.globalAdmin, 'l-ga4', '2026-10-05T08:00:00Z', '2026-10-06T08:00:00Z'),
      // October, Security Administrator: 120 s (Erin), 300 s (Dave), and one still pending at the end of the log.
      ...decided(alice, ROLES.securityAdmin, 'l-sa1', erin, 'approved', '2026-10-07T09:00:00Z', '2026-10-07T09:02:00Z'),
      ...decided(
        bob,
        ROLES.securityAdmin,
        'l-sa2',
        approver,
        'approved',
        '2026-10-08T09:00:00Z',
        '2026-10-08T09:05:00Z',
      ),
      ...unanswered(bob, ROLES.securityAdmin, 'l-sa3', '2026-10-30T09:00:00Z'),
      // October, Privileged Role Administrator: nobody ever answered; its only request expired.
      ...unanswered(carol, ROLES.privilegedRoleAdmin, 'l-pra', '2026-10-10T08:00:00Z', '2026-10-11T08:00:00Z'),
      // An extend approved by Dave after a day: not an activation, so no part of the latency.
      pim({
        activity: 'Update member in PIM requested (extend)',
        at: T('2026-10-12T08:00:00Z'),
        role: ROLES.userAdmin,
        principal: bob,
        actor: bob,
        key: 'l-ext',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Update member in PIM approved by admin (extend/renew)',
        at: T('2026-10-13T08:00:00Z'),
        role: ROLES.userAdmin,
        principal: bob,
        actor: approver,
        key: 'l-ext',
        keyMode: 'detail',
      }),
    ]);
  });

  it('waits from request to decision per approver and per role, in the period of the request', async () => {
    const rows = await ctx.query('approval_latency', { from: '2026-10-01', to: '2026-11-01' });
    expect(
      rows.map((r) => ({
        ...r,
        decisions: Number(r.decisions),
        expired: r.expired === null ? null : Number(r.expired),
        pending: r.pending === null ? null : Number(r.pending),
      })),
    ).toEqual([
      // Dave: 300, 600, 1800 → p50 600; p90 at position 0.9 × 2 = 1.8 → 600 + 0.8 × 1200 = 1560.
      {
        dimension: 'approver',
        id: approver.id,
        name: 'dave@golden.example',
        decisions: 3,
        p50_wait_seconds: 600,
        p90_wait_seconds: 1560,
        expired: null,
        pending: null,
      },
      // Erin: 120, 3600 → p50 1860; p90 = 120 + 0.9 × 3480 = 3252.
      {
        dimension: 'approver',
        id: erin.id,
        name: 'erin@golden.example',
        decisions: 2,
        p50_wait_seconds: 1860,
        p90_wait_seconds: 3252,
        expired: null,
        pending: null,
      },
      // Global Administrator: 600, 1800, 3600 → p50 1800; p90 = 1800 + 0.8 × 1800 = 3240; one expired.
      {
        dimension: 'role',
        id: ROLES.globalAdmin.id,
        name: 'Global Administrator',
        decisions: 3,
        p50_wait_seconds: 1800,
        p90_wait_seconds: 3240,
        expired: 1,
        pending: 0,
      },
      // Security Administrator: 120, 300 → p50 210; p90 = 120 + 0.9 × 180 = 282; one pending.
      {
        dimension: 'role',
        id: ROLES.securityAdmin.id,
        name: 'Security Administrator',
        decisions: 2,
        p50_wait_seconds: 210,
        p90_wait_seconds: 282,
        expired: 0,
        pending: 1,
      },
      // Privileged Role Administrator: no decision to time, and still a role whose request nobody answered.
      {
        dimension: 'role',
        id: ROLES.privilegedRoleAdmin.id,
        name: 'Privileged Role Administrator',
        decisions: 0,
        p50_wait_seconds: null,
        p90_wait_seconds: null,
        expired: 1,
        pending: 0,
      },
    ]);
    // September holds only the request made before midnight, decided 30 min later in October.
    const sep = await ctx.query('approval_latency', { from: '2026-09-01', to: '2026-10-01' });
    expect(sep.map((r) => [r.dimension, r.name, Number(r.decisions), r.p50_wait_seconds])).toEqual([
      ['approver', 'dave@golden.example', 1, 1800],
      ['role', 'Global Administrator', 1, 1800],
    ]);
  });

  it('counts requests per role by how they ended: approved, denied, expired, pending; extends apart', async () => {
    const rows = await ctx.query('request_outcomes_by_role', { from: '2026-10-01', to: '2026-11-01' });
    // Global Administrator: ga1, ga2 approved, ga3 denied, ga4 expired; Privileged Role Administrator: pra
    // expired; Security Administrator: sa1, sa2 approved, sa3 pending. The extend is no activation.
    expect(rows.map((r) => [r.role_name, r.outcome, Number(r.requests)])).toEqual([
      ['Global Administrator', 'approved', 2],
      ['Global Administrator', 'denied', 1],
      ['Global Administrator', 'expired', 1],
      ['Privileged Role Administrator', 'expired', 1],
      ['Security Administrator', 'approved', 2],
      ['Security Administrator', 'pending', 1],
    ]);
  });
});

describe('what the report says about its data', () => {
  const started = new Date();
  let ctx: Awaited<ReturnType<typeof load>>;
  const db = () => join(tmp.dir, 'coverage', 'p.duckdb');
  beforeAll(async () => {
    const aliceAsked = pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T('2026-10-01T08:00:00Z'),
      role: ROLES.userAdmin,
      principal: alice,
      actor: alice,
      key: 'c1',
      keyMode: 'detail',
    });
    // File one: four records, one of them Core Directory's companion written by MS-PIM.
    ctx = await load('coverage', [
      aliceAsked,
      pim({
        activity: 'Add member to role completed (PIM activation)',
        at: T('2026-10-01T08:01:00Z'),
        role: ROLES.userAdmin,
        principal: alice,
        actor: alice,
        key: 'c1',
        keyMode: 'detail',
      }),
      directoryRoleRecord(
        {
          add: true,
          at: T('2026-10-01T08:01:00Z'),
          role: ROLES.userAdmin,
          directoryRoleObjectId: 'f' + ROLES.userAdmin.id.slice(1),
          principal: alice,
          actor: 'MS-PIM',
        },
        rng,
      ),
      pim({
        activity: 'Add member to role requested (PIM activation)',
        at: T('2026-10-02T09:00:00Z'),
        role: ROLES.userAdmin,
        principal: bob,
        actor: bob,
        key: 'c2',
        keyMode: 'detail',
      }),
    ]);
    // File two: a copy of Alice's request (already stored), a blank line, and Carol's request that Dave approves.
    const second = join(tmp.dir, 'coverage', 'second.ndjson');
    writeFileSync(
      second,
      [
        JSON.stringify(aliceAsked),
        '',
        JSON.stringify(
          pim({
            activity: 'Add member to role requested (PIM activation)',
            at: T('2026-10-03T10:00:00Z'),
            role: ROLES.globalAdmin,
            principal: carol,
            actor: carol,
            key: 'c3',
            keyMode: 'detail',
          }),
        ),
        JSON.stringify(
          pim({
            activity: 'Add member to role request approved (PIM activation)',
            at: T('2026-10-03T10:05:00Z'),
            role: ROLES.globalAdmin,
            principal: carol,
            actor: approver,
            key: 'c3',
            keyMode: 'detail',
          }),
        ),
      ].join('\n') + '\n',
    );
    await importPaths(db(), testConfig({}, join(tmp.dir, 'coverage')), [second]);
  });

  it('data_coverage: files, landed records (copies included, blank lines not), the event span and its age', async () => {
    const rows = await ctx.query('data_coverage', { as_of: '2026-10-04T00:00:00Z' });
    expect(rows).toHaveLength(1);
    const [r] = rows;
    // 4 + 3 non-blank lines = 7, though only 6 records are stored; events 1 Oct 08:00 → 3 Oct 10:05.
    expect({ ...r, files: Number(r.files), records: Number(r.records), last_landed: undefined }).toEqual({
      source: 'files',
      files: 2,
      records: 7,
      first_event: T('2026-10-01T08:00:00Z'),
      last_event: T('2026-10-03T10:05:00Z'),
      last_landed: undefined,
      // 3 Oct 10:05 → 4 Oct 00:00 = 13 h 55 min = 13.92 h, to one decimal.
      age_hours: 13.9,
    });
    expect((r.last_landed as Date).getTime()).toBeGreaterThanOrEqual(started.getTime() - 1000);
    expect((r.last_landed as Date).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('pseudonym_identities: every id, UPN and name of the people, once; three-letter names and PIM itself left alone', async () => {
    const rows = await ctx.query('pseudonym_identities', {});
    // Bob's display name is three letters: replacing every "Bob" in the report would mangle other words.
    // MS-PIM's name stays readable; its service principal id is an id like any other and is aliased.
    expect(rows.map((r) => r.v).sort()).toEqual(
      [
        alice.id,
        alice.upn,
        'Alice',
        bob.id,
        bob.upn,
        carol.id,
        carol.upn,
        'Carol',
        approver.id,
        approver.upn,
        'Dave',
        'a6a9c9f3-1b5d-4b8a-9c6e-1d2f3a4b5c6d',
      ].sort(),
    );
  });
});

describe('Sentinel watchlists', () => {
  it("watchlist_break_glass: each configured account with the newest snapshot's UPN and id, matched by either, in any case", async () => {
    const ctx = await load(
      'watchlists',
      selfActivation(alice, ROLES.userAdmin, 'w1', 'detail', '2026-10-01T08:00:00Z', '2026-10-01T08:01:00Z'),
    );
    await withDb(join(tmp.dir, 'watchlists', 'p.duckdb'), testConfig({}, join(tmp.dir, 'watchlists')), (db) =>
      db.run(`INSERT INTO directory_users (observed_at, user_id, user_principal_name, display_name)
      VALUES ('2026-09-01', '${glass.id}', 'old-glass@golden.example', 'Old Name'), ('2026-10-01', '${glass.id}', 'Glass@Golden.example', 'Break Glass'),
             ('2026-10-01', '${carol.id}', 'carol@golden.example', 'Carol')`),
    );
    // Glass by its UPN in capitals (the snapshot's newest UPN, renamed since September), Carol by her object id
    // in capitals, and an account the snapshot does not know: kept, with what the configuration says.
    const rows = await ctx.query('watchlist_break_glass', {
      break_glass_accounts: JSON.stringify(['GLASS@golden.example', carol.id.toUpperCase(), 'ghost@golden.example']),
    });
    expect(rows).toEqual([
      { account: carol.id, user_principal_name: 'carol@golden.example', user_id: carol.id, display_name: 'Carol' },
      {
        account: 'ghost@golden.example',
        user_principal_name: 'ghost@golden.example',
        user_id: null,
        display_name: null,
      },
      {
        account: 'glass@golden.example',
        user_principal_name: 'glass@golden.example',
        user_id: glass.id,
        display_name: 'Break Glass',
      },
    ]);
  });
});
