// The CLI as a user runs it: the real binary in a child process, on a fresh working directory.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { writeFileSync, existsSync } from 'node:fs';
import { tempDir } from './helpers.js';

const bin = resolve('bin/pimops.js');
const tmp = tempDir('pimops-cli-');
afterAll(() => tmp.cleanup());

function pimops(args: string[], cwd = tmp.dir) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pimops demo (the quick start)', () => {
  let demo: ReturnType<typeof pimops>;
  beforeAll(() => {
    demo = pimops(['demo', '--through', '2026-10']);
  });

  it('lands the demo tenant into ./pimops.duckdb and prints the four metrics', () => {
    expect(demo.code, demo.stderr).toBe(0);
    expect(existsSync(join(tmp.dir, 'pimops.duckdb'))).toBe(true);
    expect(demo.stdout).toContain('Time to activate (Entra roles)');
    expect(demo.stdout).toMatch(/self-activation\s+\d+\s+p50/);
    expect(demo.stdout).toContain('Approvals');
    expect(demo.stdout).toContain('Active hours per admin per month');
    expect(demo.stdout).toMatch(/Standing assignments .*snapshot of 2026-11-01/);
    expect(demo.stdout).toMatch(/Findings \(pimops checks\): 2 critical/);
    expect(demo.stderr).toMatch(/imported into .*: \d+ files, \d+ records: \d+ new, \d+ duplicates, 0 quarantined/);
  });

  it('answers metrics --json with the contract automation relies on', () => {
    const r = pimops(['metrics', '--from', '2026-10-01', '--to', '2026-11-01', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.schemaVersion).toBe(1);
    expect(m.period).toEqual({
      from: '2026-10-01T00:00:00.000Z',
      to: '2026-11-01T00:00:00.000Z',
      asOf: '2026-11-01T00:00:00.000Z',
    });
    for (const route of ['self', 'approval']) {
      expect(Object.keys(m.timeToActivate[route])).toEqual(
        expect.arrayContaining(['count', 'p50Seconds', 'p90Seconds', 'maxSeconds', 'targetSeconds', 'withinTarget']),
      );
      expect(m.timeToActivate[route].count).toBeGreaterThan(0);
    }
    expect(Object.keys(m.approvals)).toEqual(
      expect.arrayContaining(['approved', 'denied', 'expired', 'canceled', 'pending', 'approvalRate', 'byRole']),
    );
    expect(Object.keys(m.approvals.byRole[0])).toEqual(
      expect.arrayContaining(['roleId', 'roleName', 'approved', 'denied', 'approvalRate', 'flagged']),
    );
    expect(Object.keys(m.activeHours[0])).toEqual(
      expect.arrayContaining(['principalId', 'principalUpn', 'month', 'activations', 'hours']),
    );
    expect(Object.keys(m.standingAssignments)).toEqual(
      expect.arrayContaining(['total', 'breakGlass', 'excludingBreakGlass', 'items']),
    );
    expect(Object.keys(m.standingAssignments.items[0])).toEqual(
      expect.arrayContaining([
        'principalId',
        'principalUpn',
        'roleId',
        'roleName',
        'since',
        'breakGlass',
        'viaPim',
        'viaGroupId',
        'viaGroupName',
      ]),
    );
    // Without the demo's break-glass list in a config, the break-glass accounts count as standing access.
    expect(m.standingAssignments.breakGlass).toBe(0);
  });

  it('runs named queries and read-only SQL in every format', () => {
    const list = pimops(['query', '--list', '--format', 'csv']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('time_to_activate');
    const q = pimops([
      'query',
      'approval_outcomes',
      '--from',
      '2026-10-01',
      '--to',
      '2026-11-01',
      '--format',
      'ndjson',
    ]);
    expect(q.code, q.stderr).toBe(0);
    const rows = q.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.find((x) => x.plane === 'entra_role' && x.request_type === 'activate').approved).toBeGreaterThan(0);
    const s = pimops(['sql', 'SELECT count(*) AS n FROM pim_requests', '--format', 'json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)[0].n).toBeGreaterThan(100);
    const csv = pimops(['sql', "SELECT '=cmd()' AS a, 1 AS b"]);
    expect(csv.stdout).toBe("a,b\n'=cmd(),1\n");
  });

  it('runs every named query with only its non-threshold parameters given: thresholds come from the config', async () => {
    // One process through the CLI, the rest in-process with the same binding (thirty CLI starts are too slow for CI).
    const cli = pimops([
      'query',
      'check_too_frequent_activation',
      '--from',
      '2026-10-01',
      '--to',
      '2026-11-01',
      '--format',
      'json',
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const extra: Record<string, Record<string, string>> = {
      principal_timeline: { principal: 'admin1@contoso.example' },
      role_timeline: { role: 'Global Administrator' },
      who_held_role_at: { role: 'Global Administrator', at: '2026-10-05T02:00:00Z' },
      request_trace: { request: 'none' },
      approver_history: { approver: 'approver1@contoso.example' },
      elevation_activity: { request: 'none' },
    };
    const { Db } = await import('../core/db.js');
    const { allQueries, runQuery, pickParams } = await import('../queries/registry.js');
    const { configParams } = await import('../queries/params.js');
    const { parseConfig } = await import('../core/config.js');
    const params = configParams(parseConfig({}), {
      from: new Date('2026-10-01T00:00:00Z'),
      to: new Date('2026-11-01T00:00:00Z'),
      asOf: new Date('2026-11-01T00:00:00Z'),
    });
    const db = await Db.openReadOnly(join(tmp.dir, 'pimops.duckdb'));
    try {
      for (const id of allQueries().keys()) {
        const rows = await runQuery(db, id, { ...pickParams(id, params), ...(extra[id] ?? {}) });
        expect(Array.isArray(rows), id).toBe(true);
      }
    } finally {
      db.close();
    }
  });

  it('refuses writes, file access and setting changes from ad hoc SQL', () => {
    for (const stmt of [
      'DELETE FROM audit_events',
      "COPY audit_events TO '/tmp/x.csv'",
      "SELECT * FROM read_csv('/etc/passwd')",
      'SET enable_external_access = true',
      'CREATE TABLE x AS SELECT 1',
      'DROP TABLE audit_events',
      "ATTACH '/tmp/other.duckdb' AS o",
      'INSTALL httpfs',
      "SELECT * FROM read_text('/etc/hostname')",
    ]) {
      const r = pimops(['sql', stmt, '--json']);
      expect(r.code, stmt).toBe(2);
      expect(JSON.parse(r.stdout), stmt).toMatchObject({ code: 'sql-not-read-only' });
    }
    const n = pimops(['sql', 'SELECT count(*) AS n FROM audit_events', '--json']);
    expect(JSON.parse(n.stdout)[0].n).toBeGreaterThan(1000);
  });

  it('creates the database and landing store for their owner only', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(join(tmp.dir, 'pimops.duckdb')).mode & 0o077).toBe(0);
    expect(statSync(join(tmp.dir, 'pimops.landing')).mode & 0o077).toBe(0);
    expect(statSync(join(tmp.dir, 'pimops.landing', 'manifest.ndjson')).mode & 0o077).toBe(0);
  });

  it('says clearly when it cannot write its output', () => {
    const unwritable = pimops(['report', '--period', '2026-10', '--out', '/etc/hostname/report.html', '--json']);
    expect(unwritable.code).toBe(1);
    expect(JSON.parse(unwritable.stdout)).toMatchObject({
      code: 'output-unwritable',
      error: expect.stringContaining('a part of the path is a file'),
    });
  });

  it('re-importing the demo files changes nothing', () => {
    const before = pimops(['sql', 'SELECT count(*) AS n FROM audit_events', '--json']);
    const r = pimops(['import', 'pimops-demo', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.new).toBe(0);
    expect(s.duplicates).toBe(s.records);
    expect(pimops(['sql', 'SELECT count(*) AS n FROM audit_events', '--json']).stdout).toBe(before.stdout);
  });
});

describe('errors', () => {
  it('maps usage, config and missing-database errors to exit codes and {error, code} under --json', () => {
    const unknown = pimops(['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).code).toBe('usage');

    const badDate = pimops(['metrics', '--from', 'last tuesday', '--json']);
    expect(badDate.code).toBe(2);
    expect(JSON.parse(badDate.stdout)).toMatchObject({ code: 'usage' });

    const cfg = join(tmp.dir, 'bad.json');
    writeFileSync(
      cfg,
      JSON.stringify({ targets: { selfActivationSeconds: -5 }, approvals: { denialRateFlag: 'high' } }),
    );
    const badConfig = pimops(['metrics', '--config', cfg]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('targets.selfActivationSeconds');
    expect(badConfig.stderr).toContain('approvals.denialRateFlag');

    const missing = pimops(['metrics', '--db', join(tmp.dir, 'nope.duckdb'), '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).code).toBe('database-missing');

    const noQuery = pimops(['query', 'no_such_metric', '--json']);
    expect(noQuery.code).toBe(2);
    expect(JSON.parse(noQuery.stdout).code).toBe('query-unknown');

    const noFile = pimops(['import', join(tmp.dir, 'missing.json'), '--json']);
    expect(noFile.code).toBe(2);
    expect(JSON.parse(noFile.stdout).code).toBe('input-not-found');
  });
});
