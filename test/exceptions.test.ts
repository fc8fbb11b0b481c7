// The exceptions register (config exceptions): hand-made role settings give one high finding, a
// tier-0 role without approval, whose subject is the role id. An exception in force keeps it but
// takes it out of --fail-on and the counts; once expired it counts again; from 14 days before
// expiry exception_expiring says so; an unknown rule or a missing owner is a config error, exit 2.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { withDb } from '../cli/pipeline.js';
import { derivePim } from '../transform/index.js';
import { runChecks, atOrAbove, summarize } from '../reports/checks.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const GA = ROLES.globalAdmin.id;
const db = join(tmp.dir, 'p.duckdb');
const period = (asOf: string) => ({
  from: new Date('2026-10-01T00:00:00Z'),
  to: new Date('2026-11-01T00:00:00Z'),
  asOf: new Date(asOf),
});
const exception = (over: Record<string, unknown> = {}) => ({
  rule: 'tier0_without_approval',
  subject: GA,
  reason: 'migration to approval <b>',
  owner: 'iam-team',
  expires: '2026-12-31',
  ...over,
});
const config = (exceptions: unknown[]) => testConfig({ exceptions }, tmp.dir);
const bin = join(process.cwd(), 'bin', 'pimops.js');
function cli(exceptions: unknown[], args: string[]) {
  const file = join(tmp.dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ exceptions, storage: { landingDir: join(tmp.dir, 'landing') } }));
  return spawnSync(
    process.execPath,
    [bin, '--db', db, '--config', file, 'checks', '--from', '2026-10-01', '--to', '2026-11-01', ...args],
    { encoding: 'utf8' },
  );
}

beforeAll(async () => {
  const c = config([]);
  await withDb(db, c, async (x) => {
    await derivePim(x, c);
    await x.run(`INSERT INTO role_policies (observed_at, role_id, max_activation, max_activation_seconds, mfa_required, justification_required, ticket_required, auth_context_enabled, approval_required, approvers, permanent_eligible_allowed, permanent_active_allowed)
      VALUES ('2026-10-20', '${GA}', 'x', 3600, true, true, false, false, false, 0, false, false)`);
  });
});

describe('exceptions', () => {
  const run = (exceptions: unknown[], asOf: string) => {
    const c = config(exceptions);
    return withDb(db, c, (x) => runChecks(x, c, period(asOf)));
  };

  it('without an exception the finding counts: one high', async () => {
    const f = await run([], '2026-11-01T00:00:00Z');
    expect(atOrAbove(f, 'high').map((x) => [x.ruleId, x.subjectId])).toEqual([['tier0_without_approval', GA]]);
  });

  it('an exception in force keeps the finding, marked, out of --fail-on and the counts', async () => {
    const f = await run([exception()], '2026-11-01T00:00:00Z');
    const hit = f.find((x) => x.ruleId === 'tier0_without_approval')!;
    expect(hit).toMatchObject({
      excepted: true,
      exception: { reason: 'migration to approval <b>', owner: 'iam-team', expires: '2026-12-31T00:00:00.000Z' },
    });
    expect(atOrAbove(f, 'high')).toEqual([]);
    expect(summarize(f).high).toBe(0);
    // A subject that is not exactly the finding's id excepts nothing (no names, no patterns).
    const byName = await run([exception({ subject: 'Global Administrator' })], '2026-11-01T00:00:00Z');
    expect(atOrAbove(byName, 'high')).toHaveLength(1);
  });

  it('counts again once expires is before as-of; in force on the expiry instant itself', async () => {
    expect(
      atOrAbove(await run([exception({ expires: '2026-11-01T00:00:00Z' })], '2026-11-01T00:00:00Z'), 'high'),
    ).toHaveLength(0);
    const after = await run([exception({ expires: '2026-11-01T00:00:00Z' })], '2026-11-01T00:00:01Z');
    expect(atOrAbove(after, 'high').map((x) => x.excepted)).toEqual([false]);
  });

  it('from 14 days before expiry, exception_expiring (info) says so; not at 14 days and a second', async () => {
    const soon = await run([exception({ expires: '2026-11-15T00:00:00Z' })], '2026-11-01T00:00:00Z');
    expect(
      soon.filter((x) => x.ruleId === 'exception_expiring').map((x) => [x.severity, x.subjectId, x.observed]),
    ).toEqual([['info', `tier0_without_approval|${GA}`, 'expires 2026-11-15 00:00 UTC']]);
    const later = await run([exception({ expires: '2026-11-15T00:00:01Z' })], '2026-11-01T00:00:00Z');
    expect(later.filter((x) => x.ruleId === 'exception_expiring')).toEqual([]);
    const expired = await run([exception({ expires: '2026-10-31' })], '2026-11-01T00:00:00Z');
    expect(expired.filter((x) => x.ruleId === 'exception_expiring')).toEqual([]);
  });

  it('pimops checks: --fail-on high passes with the exception (exit 0) and fails after it expires (exit 1)', () => {
    const inForce = cli([exception()], ['--as-of', '2026-11-01T00:00:00Z', '--fail-on', 'high', '--json']);
    expect(inForce.status, inForce.stderr).toBe(0);
    const out = JSON.parse(inForce.stdout);
    expect(out.schemaVersion).toBe(2);
    expect(out.excepted).toBe(1);
    expect(out.findings.find((x: { ruleId: string }) => x.ruleId === 'tier0_without_approval')).toMatchObject({
      excepted: true,
      tenantId: null,
    });
    const expired = cli([exception()], ['--as-of', '2027-01-01T00:00:01Z', '--fail-on', 'high']);
    expect(expired.status, expired.stderr).toBe(1);
  });

  it('an unknown rule, or a missing owner, reason or expiry, is a config error: exit 2 naming the entry', () => {
    const unknown = cli([exception({ rule: 'check_tier0_without_approval' })], []);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/exceptions\.0\.rule: no rule 'check_tier0_without_approval'/);
    for (const key of ['owner', 'reason', 'expires']) {
      const e: Record<string, unknown> = exception();
      delete e[key];
      const r = cli([e], []);
      expect(r.status, key).toBe(2);
      expect(r.stderr, key).toContain(`exceptions.0.${key}`);
    }
    const badDate = cli([exception({ expires: 'next year' })], []);
    expect(badDate.status).toBe(2);
    expect(badDate.stderr).toContain('exceptions.0.expires');
  });

  it('--rule takes exactly a rule id; an unknown one is a usage error listing the known ids', () => {
    const ok = cli([], ['--rule', 'tier0_without_approval', '--rule', 'too_few_approvers', '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(new Set(JSON.parse(ok.stdout).findings.map((x: { ruleId: string }) => x.ruleId))).toEqual(
      new Set(['tier0_without_approval']),
    );
    const bad = cli([], ['--rule', 'check_tier0_without_approval']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Known rules: .*tier0_without_approval/);
  });

  it('--list prints every rule with severity, threshold keys and doc anchor, without a database', () => {
    const r = spawnSync(process.execPath, [bin, '--db', join(tmp.dir, 'none.duckdb'), 'checks', '--list', '--json'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      rule: string;
      severity: string;
      thresholds: string;
      doc: string;
      action: string;
    }[];
    expect(rows.find((x) => x.rule === 'exception_expiring')).toEqual({
      rule: 'exception_expiring',
      severity: 'info',
      thresholds: 'checks.exceptionWarningDays (14); exceptions',
      doc: 'docs/rules.md#exception_expiring',
      action: 'Renew the exception with a reason and an owner, or fix what it hides before it expires.',
    });
    expect(rows.find((x) => x.rule === 'too_frequent_activation')?.thresholds).toBe(
      'detections.frequentActivations (3); detections.frequentWindowMinutes (60)',
    );
    expect(rows.length).toBeGreaterThan(30);
  });
});
