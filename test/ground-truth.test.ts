// The pipeline recovers the generator's ground truth exactly: four metrics, several seeds and sizes,
// every file shape, with overlapping pulls. The truth is computed in TypeScript from the model the
// records were written from (fixtures/generator/truth.ts), never from the SQL.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { generateTenant, emitFiles, groundTruth } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { metricsReport } from '../reports/metrics.js';
import { Db } from '../core/db.js';
import { tempDir, testConfig } from './helpers.js';

const cases = [
  { seed: 7, admins: 6, start: '2026-01-01', days: 45, from: '2026-01-15', to: '2026-02-10' },
  { seed: 42, admins: 14, start: '2026-03-01', days: 75, from: '2026-04-01', to: '2026-05-01' },
  { seed: 2026, admins: 25, start: '2026-07-01', days: 62, from: '2026-07-01', to: '2026-09-01' },
];

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe.each(cases)('seed $seed, $admins admins, $days days', (c) => {
  it('recovers time to activate, approvals, active hours and standing assignments', async () => {
    const t = generateTenant({ seed: c.seed, admins: c.admins, start: new Date(`${c.start}T00:00:00Z`), days: c.days });
    const dir = join(tmp.dir, `s${c.seed}`);
    const emitted = emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: c.seed, chunk: 300, overlap: 7 });
    const config = testConfig({ breakGlassAccounts: [t.breakGlass[0].upn!.toUpperCase(), t.breakGlass[1].id] }, dir);
    const db = join(dir, 'p.duckdb');
    const summary = await importPaths(db, config, [join(dir, 'in')]);
    expect(summary).toEqual({
      files: emitted.files.length,
      records: emitted.written,
      new: emitted.distinct,
      duplicates: emitted.written - emitted.distinct,
      quarantined: 0,
    });

    const from = new Date(`${c.from}T00:00:00Z`);
    const to = new Date(`${c.to}T00:00:00Z`);
    const asOf = to < t.end ? to : t.end;
    const report = await withDb(db, config, (d) => metricsReport(d, config, { from, to, asOf }));
    const truth = groundTruth(t, {
      from,
      to,
      asOf,
      selfTargetSeconds: 300,
      approvalTargetSeconds: 1800,
      denialRateFlag: 0.2,
      minDecisions: 5,
      breakGlassAccounts: config.breakGlassAccounts,
    });

    for (const route of ['self', 'approval'] as const) {
      const got = report.timeToActivate[route];
      const want = truth.timeToActivate[route];
      expect(got.count, `${route} count`).toBe(want.count);
      expect(got.withinTarget, `${route} within target`).toBe(want.withinTarget);
      expect(got.p50Seconds).toBeCloseTo(want.p50Seconds!, 3);
      expect(got.p90Seconds).toBeCloseTo(want.p90Seconds!, 3);
      expect(got.maxSeconds).toBeCloseTo(want.maxSeconds!, 3);
    }
    expect(truth.timeToActivate.self.count).toBeGreaterThan(10);
    expect(truth.timeToActivate.approval.count).toBeGreaterThan(2);

    // Per approver and extend/renew have no ground truth of their own here (their golden cases do).
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { byRole, byApprover, extendRenew, ...outcomes } = report.approvals;
    const { byRole: truthByRole, ...truthOutcomes } = truth.approvals;
    expect({ ...outcomes, approvalRate: round(outcomes.approvalRate) }).toEqual({
      ...truthOutcomes,
      approvalRate: round(truthOutcomes.approvalRate),
    });
    expect(byRole.map((r) => ({ ...r, approvalRate: round(r.approvalRate) }))).toEqual(
      truthByRole.map((r) => ({ ...r, approvalRate: round(r.approvalRate) })),
    );

    const hours = report.activeHours.map((h) => ({ ...h, hours: round(h.hours, 4) }));
    const truthHours = truth.activeHours.map((h) => ({ ...h, hours: round(h.hours, 4) }));
    expect(hours).toEqual(truthHours);
    expect(truthHours.length).toBeGreaterThan(c.admins / 2);

    const s = report.standingAssignments;
    expect(s.basis).toBe('audit_replay');
    expect({
      total: s.total,
      breakGlass: s.breakGlass,
      servicePrincipals: s.servicePrincipals,
      excludingBreakGlass: s.excludingBreakGlass,
    }).toEqual({
      total: truth.standingAssignments.total,
      breakGlass: 2,
      servicePrincipals: 1,
      excludingBreakGlass: truth.standingAssignments.excludingBreakGlass,
    });
    // Replay sees the tier-0 group the role was assigned to, never its members: the group is the item.
    const row = (i: {
      principalId: string;
      roleId: string;
      breakGlass: boolean;
      viaPim: boolean | null;
      viaGroupId: string | null;
    }) => [i.principalId, i.roleId, i.breakGlass, i.viaPim, i.viaGroupId];
    expect(s.items.map(row).sort()).toEqual(truth.standingAssignments.items.map(row).sort());
    expect(s.items.filter((i) => i.principalType === 'group')).toHaveLength(1);
  });
});

function round(v: number | null, digits = 6) {
  return v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;
}

describe('a 30-day window cut from a 120-day tenant', () => {
  it('gives active hours equal to truth, clipped at the coverage start and flagged where the start is older; the earlier files make them whole', async () => {
    const t = generateTenant({ seed: 120, admins: 12, start: new Date('2026-05-01T00:00:00Z'), days: 120 });
    const cut = new Date(t.end.getTime() - 30 * 86_400_000);
    const recent = t.records.filter((r) => Date.parse(r.activityDateTime) >= cut.getTime());
    const older = t.records.filter((r) => Date.parse(r.activityDateTime) < cut.getTime());
    const dir = join(tmp.dir, 'cut');
    emitFiles(recent, t.tenant.id, { dir: join(dir, 'recent'), seed: 1, chunk: 400, overlap: 5 });
    emitFiles(older, t.tenant.id, { dir: join(dir, 'older'), seed: 2, chunk: 400, overlap: 5 });
    const config = testConfig({}, dir);
    const db = join(dir, 'p.duckdb');
    await importPaths(db, config, [join(dir, 'recent')]);

    const from = cut;
    const to = t.end;
    const coverageStart = new Date(Math.min(...recent.map((r) => Date.parse(r.activityDateTime))));
    const opts = {
      from,
      to,
      asOf: to,
      selfTargetSeconds: 300,
      approvalTargetSeconds: 1800,
      denialRateFlag: 0.2,
      minDecisions: 5,
      breakGlassAccounts: [],
    };
    const report = await withDb(db, config, (d) => metricsReport(d, config, { from, to, asOf: to }));
    const truth = groundTruth(t, { ...opts, coverageStart });
    const hours = (rows: typeof truth.activeHours) => rows.map((h) => ({ ...h, hours: round(h.hours, 4) }));
    expect(hours(report.activeHours)).toEqual(hours(truth.activeHours));
    // The cut leaves activations whose start is older than the data: flagged, never dropped.
    expect(truth.activeHours.filter((h) => h.hoursLowerBound).length).toBeGreaterThan(0);
    // Time to activate is unaffected (no request behind a flagged row).
    expect(report.timeToActivate.self.count).toBe(truth.timeToActivate.self.count);

    // The earlier exports arrive: every flagged row becomes ordinary, and the tables equal a full rebuild.
    await importPaths(db, config, [join(dir, 'older')]);
    const whole = await withDb(db, config, (d) => metricsReport(d, config, { from, to, asOf: to }));
    expect(hours(whole.activeHours)).toEqual(hours(groundTruth(t, opts).activeHours));
    const fullDir = join(dir, 'full');
    const fullConfig = testConfig({}, fullDir);
    const fullDb = join(fullDir, 'p.duckdb');
    await importPaths(fullDb, fullConfig, [join(dir, 'recent'), join(dir, 'older')]);
    const both = await Db.open(':memory:');
    try {
      await both.run(`ATTACH '${db}' AS a (READ_ONLY); ATTACH '${fullDb}' AS b (READ_ONLY);`);
      for (const table of ['int_pim_events', 'pim_activations', 'pim_requests', 'role_assignments', 'pim_approvals']) {
        const n = await both.one<{ n: bigint }>(`SELECT
          (SELECT count(*) FROM (SELECT * FROM a.${table} EXCEPT ALL SELECT * FROM b.${table}))
          + (SELECT count(*) FROM (SELECT * FROM b.${table} EXCEPT ALL SELECT * FROM a.${table})) AS n`);
        expect(Number(n!.n), table).toBe(0);
      }
    } finally {
      both.close();
    }
  });
});
