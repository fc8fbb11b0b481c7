// `pimops ingest graph` against a loopback HTTPS fake of Graph and the token authority, driven by
// the real @microsoft/microsoft-graph-client and @azure/identity: paging, throttling, faults,
// incremental runs, and convergence to the same tables however the runs went.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { subDays } from 'date-fns';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { ingestGraph } from '../cli/pulls.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir, testConfig } from './helpers.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const tmp = tempDir();
let fake: FakeAzure;
let records: Record<string, unknown>[];
let emitDir: string;

beforeAll(async () => {
  const t = generateTenant({ seed: 21, admins: 10, start: subDays(NOW, 25), days: 25 });
  records = t.records.filter((r) => Date.parse(r.activityDateTime) < NOW.getTime()) as unknown as Record<
    string,
    unknown
  >[];
  emitDir = join(tmp.dir, 'files');
  emitFiles(
    t.records.filter((r) => Date.parse(r.activityDateTime) < NOW.getTime()),
    t.tenant.id,
    { dir: emitDir, seed: 1 },
  );
  fake = await startFakeAzure({ records });
  Object.assign(process.env, fakeEnv(fake));
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

let n = 0;
function workspace(azure: Record<string, unknown> = {}) {
  const d = join(tmp.dir, `g${n++}`);
  const config = testConfig(
    { azure: fakeAzureConfig(fake, { requestsPerWindow: 10, windowSeconds: 1, pageSize: 400, ...azure }) },
    d,
  );
  return { d, db: join(d, 'p.duckdb'), config };
}

const CHECKSUM_SQL = `SELECT
  (SELECT count(*) FROM audit_events) AS events,
  (SELECT bit_xor(hash(event_id, event_time, activity, request_key, role_id, principal_id)) FROM audit_events) AS e,
  (SELECT bit_xor(hash(request_key, decision, requested_at, activated_at, ended_at)) FROM pim_requests) AS r,
  (SELECT bit_xor(hash(request_key, started_at, ended_at, end_reason)) FROM pim_activations) AS a`;

describe('ingest graph', () => {
  it('gives records without tid the tenant of the pull', async () => {
    const w = workspace();
    const saved = fake.records;
    // Core Directory records name no tid at all; here the PIM records lose theirs too.
    fake.records = records.slice(0, 60).map((r) => ({
      ...r,
      additionalDetails: (r.additionalDetails as { key: string }[]).filter((d) => d.key !== 'tid'),
    }));
    try {
      await ingestGraph(w.db, w.config, { since: subDays(NOW, 29), now: NOW });
    } finally {
      fake.records = saved;
    }
    const rows = await withDb(w.db, w.config, (x) =>
      x.all<{ tenant_id: string | null; n: bigint }>(
        'SELECT tenant_id, count(*) AS n FROM audit_events GROUP BY tenant_id',
      ),
    );
    expect(rows.map((r) => [r.tenant_id, Number(r.n)])).toEqual([[fake.tenantId.toLowerCase(), 60]]);
  });
  it('pulls every page through throttling, 503, a reset and an expired token, within the rate limit', async () => {
    const w = workspace();
    fake.faults = new Map([
      [2, { kind: 'status', status: 429, retryAfter: 0 }],
      [4, { kind: 'status', status: 503, retryAfter: 0 }],
      [6, { kind: 'reset' }],
      [8, { kind: 'expire-token' }],
    ]);
    const start = fake.graphRequests.length;
    const tokensBefore = fake.tokensIssued.length;
    const retries: string[] = [];
    const r = await ingestGraph(
      w.db,
      w.config,
      { since: subDays(NOW, 29), now: NOW },
      { onRetry: (reason) => retries.push(reason) },
    ).finally(() => {
      fake.faults = new Map();
    });
    expect(r.records).toBe(records.length);
    expect(r.pages).toBe(Math.ceil(records.length / 400));
    expect(r.transformed.new).toBe(records.length);
    expect(retries).toEqual(['429', '503', expect.stringMatching(/^network/), '401: getting a fresh token']);
    expect(fake.tokensIssued.length - tokensBefore).toBe(2);
    // Never more than 10 requests in any one-second window.
    const times = fake.graphRequests.slice(start).map((q) => q.at);
    const worst = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(worst).toBeLessThanOrEqual(10);
    const counts = await withDb(w.db, w.config, (db) =>
      db.one<{ n: bigint }>('SELECT count(*) AS n FROM audit_events'),
    );
    expect(Number(counts!.n)).toBe(records.length);
  });

  it('gives the same tables as importing the same records from files', async () => {
    const pulled = workspace();
    await ingestGraph(pulled.db, pulled.config, { since: subDays(NOW, 29), now: NOW });
    const imported = workspace();
    await importPaths(imported.db, imported.config, [emitDir]);
    const a = await withDb(pulled.db, pulled.config, (db) => db.one(CHECKSUM_SQL));
    const b = await withDb(imported.db, imported.config, (db) => db.one(CHECKSUM_SQL));
    expect(a).toEqual(b);
  });

  it('runs incrementally from the watermark minus the overlap, counting late records once', async () => {
    const w = workspace({ overlapMinutes: 60 });
    const cut = new Date(NOW.getTime() - 5 * 86_400_000);
    const early = await ingestGraph(w.db, w.config, { since: subDays(NOW, 29), until: cut, now: NOW });
    const first = early.transformed.new;
    // Second run: from the watermark minus 60 min, to now.
    const late = await ingestGraph(w.db, w.config, { now: NOW });
    expect(late.window.from).toBe(new Date(cut.getTime() - 3_600_000).toISOString());
    expect(first + late.transformed.new).toBe(records.length);
    expect(late.transformed.duplicates).toBeGreaterThan(0);
    // A third run finds nothing new.
    const again = await ingestGraph(w.db, w.config, { now: NOW });
    expect(again.transformed.new).toBe(0);
  });

  it('resumes from the newest landed record when a nextLink stops working', async () => {
    const w = workspace();
    const base = fake.graphRequests.length;
    fake.faults = new Map([[base + 3, { kind: 'break-next-link' }]]);
    const r = await ingestGraph(w.db, w.config, { since: subDays(NOW, 29), now: NOW }).finally(() => {
      fake.faults = new Map();
    });
    expect(r.resumedAfterBrokenLink).toBe(1);
    const counts = await withDb(w.db, w.config, (db) =>
      db.one<{ n: bigint }>('SELECT count(*) AS n FROM audit_events'),
    );
    expect(Number(counts!.n)).toBe(records.length);
  });

  it('clamps a start older than retention and says what cannot be had', async () => {
    const w = workspace({ auditRetentionDays: 30 });
    const r = await ingestGraph(w.db, w.config, { since: subDays(NOW, 90), now: NOW });
    expect(r.retentionGap).toEqual({ from: subDays(NOW, 90).toISOString(), to: subDays(NOW, 30).toISOString() });
    expect(r.window.from).toBe(subDays(NOW, 30).toISOString());
  });

  it('refuses a page whose nextLink is not text, rather than ending the pull on it as if complete', async () => {
    const w = workspace();
    fake.faults = new Map([[fake.graphRequests.length + 1, { kind: 'non-string-next-link' }]]);
    await expect(
      ingestGraph(w.db, w.config, { since: subDays(NOW, 1), now: NOW }).finally(() => {
        fake.faults = new Map();
      }),
    ).rejects.toMatchObject({ code: 'azure-request', message: expect.stringMatching(/nextLink is not a URL/) });
  });

  it('names the missing permission on a 403, and never prints the secret', async () => {
    const w = workspace();
    fake.faults = new Map([[fake.graphRequests.length + 1, { kind: 'status', status: 403 }]]);
    await expect(ingestGraph(w.db, w.config, { since: subDays(NOW, 1), now: NOW })).rejects.toThrow(
      /AuditLog\.Read\.All/,
    );
    fake.faults = new Map();
    const bad = { ...process.env, AZURE_CLIENT_SECRET: 'wrong-secret-xyz' };
    const out = await runCli(
      ['--db', join(w.d, 'q.duckdb'), '--config', writeConfig(w), 'ingest', 'graph', '--since', '1d', '--json'],
      bad,
    );
    expect(out.code).toBe(1);
    expect(out.stdout + out.stderr).not.toContain('wrong-secret-xyz');
    expect(out.stdout + out.stderr).not.toContain(fake.clientSecret);
  });

  it('converges to the uninterrupted tables after SIGKILL at 20 points', async () => {
    // The child runs at the real clock: retention wide enough to keep the whole fixture window.
    const reference = workspace({ auditRetentionDays: 400 });
    await ingestGraph(reference.db, reference.config, { since: subDays(NOW, 29), now: NOW });
    const want = await withDb(reference.db, reference.config, (db) => db.one(CHECKSUM_SQL));

    const w = workspace({ requestsPerWindow: 2, windowSeconds: 1, auditRetentionDays: 400 });
    const cfg = writeConfig(w);
    const args = [
      '--db',
      w.db,
      '--config',
      cfg,
      'ingest',
      'graph',
      '--since',
      subDays(NOW, 29).toISOString(),
      '--until',
      NOW.toISOString(),
    ];
    // SIGKILL at 20 points spread over the runs (startup, token, pages, landing, transform), each run resuming the last.
    let killed = 0;
    for (let i = 0; i < 20; i++) {
      const child = spawn(process.execPath, [resolve('bin/pimops.js'), ...args], { env: process.env, stdio: 'ignore' });
      const exited = await new Promise<boolean>((res) => {
        const timer = setTimeout(
          () => {
            child.kill('SIGKILL');
            res(false);
          },
          900 + ((i * 331) % 2400),
        );
        child.on('exit', () => {
          clearTimeout(timer);
          res(true);
        });
      });
      if (!exited) {
        killed++;
        await new Promise((r) => child.on('exit', r));
      }
    }
    expect(killed).toBeGreaterThan(5);
    const resumed = await runCli([...args, '--json'], process.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).pulled, resumed.stdout).toBe(records.length);
    const got = await withDb(w.db, w.config, (db) => db.one(CHECKSUM_SQL));
    expect(got).toEqual(want);
  });
});

function writeConfig(w: ReturnType<typeof workspace>): string {
  const p = join(tmp.dir, `cfg-${n++}.json`);
  writeFileSync(p, JSON.stringify({ azure: w.config.azure, storage: { landingDir: join(w.d, 'landing') } }));
  return p;
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [resolve('bin/pimops.js'), ...args], { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

describe('secrets', () => {
  it('never prints the client secret or an issued token, even when the service quotes them back', async () => {
    const w = workspace({ auditRetentionDays: 400 });
    const cfg = writeConfig(w);
    // The fake answers the first Graph request of this run by quoting the token and the secret.
    fake.faults = new Map([[fake.graphRequests.length + 1, { kind: 'echo-token' }]]);
    const outcome = await runCli(
      [
        '--db',
        w.db,
        '--config',
        cfg,
        'ingest',
        'graph',
        '--since',
        subDays(NOW, 2).toISOString(),
        '--until',
        NOW.toISOString(),
        '--json',
      ],
      process.env,
    );
    fake.faults = new Map();
    expect(outcome.code).toBe(1);
    const text = outcome.stdout + outcome.stderr;
    expect(text).toContain('malformed');
    expect(text).not.toContain(fake.clientSecret);
    for (const t of fake.tokensIssued) expect(text).not.toContain(t);
    // Nor in anything pimops wrote: landing files, state, database.
    const { execFileSync } = await import('node:child_process');
    const found = execFileSync('sh', ['-c', `grep -rlF -e '${fake.clientSecret}' ${w.d} || true`], {
      encoding: 'utf8',
    }).trim();
    expect(found).toBe('');
  });
});
