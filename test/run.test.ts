// pimops run, as a scheduler runs it: exit codes for ok, breached, stale, failed and usage; one
// summary line; dated reports; a webhook card; and two overlapping runs that cannot interleave.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir('pimops-run-');
const bin = resolve('bin/pimops.js');
const db = join(tmp.dir, 'p.duckdb');
const t = generateTenant({ seed: 12, admins: 6, start: new Date('2026-09-01T00:00:00Z'), days: 61 });

function config(name: string, over: Record<string, unknown>): string {
  const p = join(tmp.dir, `${name}.json`);
  writeFileSync(
    p,
    JSON.stringify({
      storage: { landingDir: join(tmp.dir, 'landing') },
      breakGlassAccounts: t.breakGlass.map((b) => b.upn),
      ...over,
    }),
  );
  return p;
}
const run = (cfg: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, '--db', db, '--config', cfg, 'run', '--period', '2026-10', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

beforeAll(async () => {
  emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 12 });
  await importPaths(db, testConfig({ storage: { landingDir: join(tmp.dir, 'landing') } }), [join(tmp.dir, 'in')]);
});
afterAll(() => tmp.cleanup());

describe('pimops run', () => {
  it('exits 1 with status breached when standing access or a finding crosses the line, and writes dated reports', () => {
    const r = run(config('breached', { run: { reportDir: join(tmp.dir, 'reports'), failOn: 'critical' } }));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /^status: breached period 2026-10-01\.\.2026-11-01 \(target breached: Standing assignments/,
    );
    expect(readdirSync(join(tmp.dir, 'reports')).sort()).toEqual([
      'pimops-2026-10-01.findings.csv',
      'pimops-2026-10-01.html',
      'pimops-2026-10-01.json',
      'pimops-2026-10-01.md',
    ]);
    const logs = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logs.map((l) => l.step).filter(Boolean)).toEqual(['transform', 'metrics and checks', 'reports']);
  });

  it('exits 0 with status ok when every target and the finding threshold hold', async () => {
    // The same tenant without its standing assignments (beside break-glass): a tenant that meets the targets.
    const bg = new Set(t.breakGlass.map((b) => b.id));
    const clean = t.records.filter((r) => {
      const principal = r.targetResources.find((x) => x.type === 'User' || x.type === 'ServicePrincipal')?.id as
        string | undefined;
      const standing =
        r.activityDisplayName === 'Add member to role outside of PIM (permanent)' ||
        r.activityDisplayName.startsWith('Add member to role in PIM') ||
        (r.activityDisplayName === 'Add member to role' && r.initiatedBy.app?.displayName !== 'MS-PIM');
      return !standing || (principal !== undefined && bg.has(principal));
    });
    const okDb = join(tmp.dir, 'ok.duckdb');
    emitFiles(clean, t.tenant.id, { dir: join(tmp.dir, 'in-ok'), seed: 12 });
    await importPaths(okDb, testConfig({ storage: { landingDir: join(tmp.dir, 'landing-ok') } }), [
      join(tmp.dir, 'in-ok'),
    ]);
    const cfg = join(tmp.dir, 'ok.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        storage: { landingDir: join(tmp.dir, 'landing-ok') },
        breakGlassAccounts: t.breakGlass.map((b) => b.upn),
        targets: { selfActivationSeconds: 100000, approvalSeconds: 100000 },
        approvals: { denialRateFlag: 1 },
        run: { reportDir: join(tmp.dir, 'r-ok'), failOn: 'critical', reportFormats: ['json'] },
      }),
    );
    const r = spawnSync(process.execPath, [bin, '--db', okDb, '--config', cfg, 'run', '--period', '2026-10'], {
      encoding: 'utf8',
    });
    expect(r.stdout, r.stderr).toMatch(/^status: ok period 2026-10-01\.\.2026-11-01\n$/);
    expect(r.status).toBe(0);
  });

  it('exits 1 with status stale when the newest record is older than the limit', () => {
    const r = run(config('stale', { run: { reportDir: join(tmp.dir, 'r-stale'), maxDataAgeHours: 1 } }), [
      '--as-of',
      '2026-12-01T00:00:00Z',
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^status: stale .*the newest audit record is \d+ h old/);
  });

  it('exits 1 with status failed when a configured source fails, and still reports', () => {
    const r = run(
      config('failed', { run: { sources: ['graph'], reportDir: join(tmp.dir, 'r-failed'), reportFormats: ['md'] } }),
      [],
      { AZURE_TENANT_ID: '', AZURE_CLIENT_ID: '', AZURE_CLIENT_SECRET: '' },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^status: failed .*ingest graph failed: azure.credential is 'clientSecret' but AZURE_TENANT_ID/,
    );
    expect(existsSync(join(tmp.dir, 'r-failed', 'pimops-2026-10-01.md'))).toBe(true);
  });

  it('says in its log what the lake export would not trust (a lake manifest that is not JSON)', () => {
    const lakeDir = join(tmp.dir, 'lake-warn');
    mkdirSync(lakeDir, { recursive: true });
    writeFileSync(join(lakeDir, '_manifest.json'), '{ not json');
    const r = run(
      config('lake-warn', { run: { reportDir: join(tmp.dir, 'r-lake'), reportFormats: ['json'], lakeDir } }),
    );
    const lake = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step?: string; detail?: string })
      .find((l) => l.step === 'export parquet');
    expect(lake?.detail).toMatch(/partitions written; warnings: .*_manifest\.json is not JSON/);
  });

  it('exits 2 on a config error', () => {
    const r = run(config('bad', { run: { failOn: 'sometimes' } }));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('run.failOn');
  });

  it('posts a summary card to the webhook', async () => {
    const received: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(200).end('1');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-token-123`;
    const r = await new Promise<{ code: number | null; out: string; err: string }>((res) => {
      const c = spawn(
        process.execPath,
        [
          bin,
          '--db',
          db,
          '--config',
          config('hook', { run: { reportDir: join(tmp.dir, 'r-hook'), reportFormats: ['json'] } }),
          'run',
          '--period',
          '2026-10',
        ],
        { env: { ...process.env, PIMOPS_WEBHOOK_URL: url } },
      );
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('exit', (code) => res({ code, out, err }));
    });
    server.close();
    expect(r.code).toBe(1);
    expect(received).toEqual([
      expect.objectContaining({
        status: 'breached',
        text: expect.stringMatching(/^pimops 2026-10-01 → 2026-11-01: BREACHED/),
      }),
    ]);
    expect(r.out + r.err).not.toContain('secret-token-123');
  });

  it('lets only one run at a time: the second waits, then gives up clearly', () => {
    const lock = `${db}.run.lock`;
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    writeFileSync(lock, JSON.stringify({ pid: holder.pid, since: '2026-12-01T00:00:00Z' }));
    try {
      const r = run(config('locked', { run: { lockWaitSeconds: 1, reportDir: join(tmp.dir, 'r-lock') } }), ['--json']);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        code: 'database-locked',
        error: expect.stringContaining(`pid ${holder.pid}`),
      });
    } finally {
      holder.kill();
      spawnSync('rm', ['-f', lock]);
    }
    // A lock left by a crashed run (its process is gone) is taken over.
    writeFileSync(lock, JSON.stringify({ pid: 999999, since: '2026-12-01T00:00:00Z' }));
    const after = run(
      config('after', { run: { lockWaitSeconds: 1, reportDir: join(tmp.dir, 'r-after'), reportFormats: ['json'] } }),
    );
    expect(after.stdout).toMatch(/^status: /);
    expect(existsSync(lock)).toBe(false);
  });

  it('is not blocked by an analyst in pimops shell (the shell reads a copy)', () => {
    // The shell's guarantee is tested in shell.test.ts; here: a read-only session elsewhere does not take the run's lock.
    const r = run(config('shell', { run: { reportDir: join(tmp.dir, 'r-shell'), reportFormats: ['json'] } }));
    expect(r.stdout).toMatch(/^status: /);
  });
});
