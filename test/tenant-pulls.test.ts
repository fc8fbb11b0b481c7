// Pulling several tenants into one store (issue 21): `ingest graph --all-tenants` against the
// loopback fake, whose authority and Graph serve four tenants of one multi-tenant app: two that
// answer (one with its own app secret), one where the app was never consented (AADSTS700016) and
// one where it lacks the permission (403). Real @azure/identity and Graph client over HTTPS.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { subDays } from 'date-fns';
import { generateTenant } from '../fixtures/generator/index.js';
import { startFakeAzure, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir, withReadDb } from './helpers.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const SINCE = subDays(NOW, 6);
const tmp = tempDir();
let fake: FakeAzure;
const DEV_SECRET = 'dev-own-secret-4417';
const ids = {
  prod: '',
  dev: '',
  acquired: 'aaaaaaaa-0000-4000-8000-00000000a001',
  noperm: 'aaaaaaaa-0000-4000-8000-00000000a002',
};
const records: Record<string, Record<string, unknown>[]> = {};

beforeAll(async () => {
  fake = await startFakeAzure();
  for (const [name, seed] of [
    ['prod', 31],
    ['dev', 32],
  ] as const) {
    const t = generateTenant({ seed, admins: 4, start: SINCE, days: 6 });
    ids[name] = t.tenant.id.toLowerCase();
    records[name] = t.records.filter((r) => Date.parse(r.activityDateTime) < NOW.getTime()) as unknown as Record<
      string,
      unknown
    >[];
  }
  expect(ids.prod).not.toBe(ids.dev);
  fake.tenants[ids.prod] = { records: records.prod };
  fake.tenants[ids.dev] = { records: records.dev, clientSecret: DEV_SECRET };
  fake.tenants[ids.acquired] = { records: [], notConsented: true };
  fake.tenants[ids.noperm] = { records: [], graphStatus: 403 };
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

let n = 0;
function workspace(over: Record<string, unknown> = {}) {
  const d = join(tmp.dir, `w${n++}`);
  const config = {
    ...over,
    azure: fakeAzureConfig(fake, { requestsPerWindow: 2, windowSeconds: 1, pageSize: 50, auditRetentionDays: 400 }),
    storage: { landingDir: join(d, 'landing') },
    tenants: [
      { id: ids.prod, name: 'contoso-prod' },
      { id: ids.dev, name: 'contoso-dev' },
      { id: ids.acquired, name: 'acquired' },
      { id: ids.noperm, name: 'no-perm' },
    ],
  };
  const cfg = join(tmp.dir, `cfg-${n}.json`);
  writeFileSync(cfg, JSON.stringify(config));
  return { d, db: join(d, 'p.duckdb'), cfg, landing: join(d, 'landing') };
}

const env = {
  ...process.env,
  AZURE_TENANT_ID: '',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  AZURE_CLIENT_SECRET: 'test-secret-value-123',
  AZURE_CLIENT_SECRET__CONTOSO_DEV: DEV_SECRET,
};

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [resolve('bin/pimops.js'), ...args], { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

const window = ['--since', SINCE.toISOString(), '--until', NOW.toISOString()];

describe('ingest graph --all-tenants', () => {
  it('lands every tenant that answers under its own id, names the two that fail, and throttles each apart', async () => {
    const w = workspace();
    const before = fake.graphRequests.length;
    const r = await cli(['--db', w.db, '--config', w.cfg, 'ingest', 'graph', '--all-tenants', ...window, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const data = JSON.parse(r.stdout.trim().split('\n')[0]) as {
      tenants: {
        tenant: string;
        name: string;
        ok: boolean;
        pulled?: number;
        error?: { code: string; message: string };
      }[];
    };
    const by = Object.fromEntries(data.tenants.map((t) => [t.name, t]));
    expect(by['contoso-prod']).toMatchObject({ ok: true, pulled: records.prod.length });
    // The dev tenant signs in with its own secret: the shared one is refused there.
    expect(by['contoso-dev']).toMatchObject({ ok: true, pulled: records.dev.length });
    expect(by.acquired).toMatchObject({ ok: false, error: { code: 'azure-auth' } });
    expect(by.acquired.error?.message).toMatch(
      /AADSTS700016\): the app is not in this tenant: it was never consented here/,
    );
    expect(by['no-perm']).toMatchObject({ ok: false, error: { code: 'azure-permission' } });
    const failure = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { code: string; error: string };
    expect(failure.code).toBe('tenant-failed');
    expect(failure.error).toMatch(
      /2 of 4 tenant\(s\) failed: acquired \(aaaaaaaa-0000-4000-8000-00000000a001\), no-perm/,
    );
    expect(r.stderr).toMatch(/✗ acquired \(aaaaaaaa-0000-4000-8000-00000000a001\): azure-auth: Sign-in to tenant/);
    expect(r.stdout + r.stderr).not.toContain(DEV_SECRET);
    expect(r.stdout + r.stderr).not.toContain(fake.clientSecret);

    // Each tenant's records are that tenant's, including the Core Directory ones that name no tid.
    const rows = await withReadDb(w.db, (db) =>
      db.all<{ t: string | null; n: bigint }>(
        'SELECT tenant_id AS t, count(*) AS n FROM audit_events GROUP BY ALL ORDER BY 1',
      ),
    );
    expect(rows.map((x) => [x.t, Number(x.n)])).toEqual(
      [
        [ids.prod, new Set(records.prod.map((x) => x.id)).size],
        [ids.dev, new Set(records.dev.map((x) => x.id)).size],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );

    // A watermark per tenant that landed; none for the ones that failed.
    const state = (id: string) => join(w.landing, 'state', `graph-directoryAudits@${id}.json`);
    for (const id of [ids.prod, ids.dev])
      expect(JSON.parse(readFileSync(state(id), 'utf8'))).toMatchObject({ watermark: NOW.toISOString(), tenantId: id });
    for (const id of [ids.acquired, ids.noperm]) expect(existsSync(state(id))).toBe(false);
    expect(existsSync(join(w.landing, 'state', 'graph-directoryAudits.json'))).toBe(false);

    // Throttling is per tenant (Graph's limit is per app and tenant): never more than 2 requests of one
    // tenant in any second, while the tenants pulled side by side went past 2 together.
    const reqs = fake.graphRequests.slice(before).filter((q) => q.token);
    const perTenant = new Map<string, number[]>();
    for (const q of reqs) {
      const t = fake.tokenTenants.get(q.token!)!;
      perTenant.set(t, [...(perTenant.get(t) ?? []), q.at]);
    }
    const busiest = (ats: number[]) => Math.max(...ats.map((a) => ats.filter((b) => b >= a && b < a + 1000).length));
    for (const [t, ats] of perTenant) expect(busiest(ats), t).toBeLessThanOrEqual(2);
    expect(busiest(reqs.map((q) => q.at))).toBeGreaterThan(2);
  }, 120_000);

  it('pulls one tenant by name from its own watermark, and a second run adds nothing', async () => {
    const w = workspace();
    const first = await cli([
      '--db',
      w.db,
      '--config',
      w.cfg,
      'ingest',
      'graph',
      '--tenant',
      'contoso-dev',
      ...window,
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const one = JSON.parse(first.stdout) as { tenants: { name: string; ok: boolean }[]; new: number };
    expect(one.tenants.map((t) => [t.name, t.ok])).toEqual([['contoso-dev', true]]);
    expect(one.new).toBe(new Set(records.dev.map((x) => x.id)).size);
    const before = fake.graphRequests.length;
    // No --since: from this tenant's watermark minus the overlap; nothing new, nothing counted twice.
    const again = await cli([
      '--db',
      w.db,
      '--config',
      w.cfg,
      'ingest',
      'graph',
      '--tenant',
      ids.dev,
      '--until',
      NOW.toISOString(),
      '--json',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ new: 0 });
    const filter = decodeURIComponent(fake.graphRequests[before].url);
    expect(filter).toContain(
      `activityDateTime ge ${new Date(NOW.getTime() - 3_600_000).toISOString().replace('.000', '')}`,
    );
  }, 60_000);

  it('asks which tenant when the configuration lists several and none is named', async () => {
    const w = workspace();
    const r = await cli(['--db', w.db, '--config', w.cfg, 'ingest', 'graph', ...window]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lists 4 tenants: pull one with --tenant ID\|NAME or every one with --all-tenants/);
  });
});

describe('doctor --all-tenants', () => {
  it("checks each tenant's sign-in on its own and names the tenant where the app was never consented", async () => {
    const w = workspace();
    const r = await cli(['--db', w.db, '--config', w.cfg, 'doctor', '--all-tenants', '--json']);
    expect(r.code).toBe(1);
    const tenants = JSON.parse(r.stdout.trim().split('\n').slice(0, -1).join('\n')) as {
      name: string;
      checks: { check: string; ok: boolean; detail: string }[];
    }[];
    const token = (name: string) =>
      tenants.find((t) => t.name === name)!.checks.find((c) => c.check.startsWith('token'))!;
    expect(token('contoso-prod').ok).toBe(true);
    expect(token('contoso-dev').ok).toBe(true);
    expect(token('acquired')).toMatchObject({ ok: false });
    expect(token('acquired').detail).toMatch(/AADSTS700016\): the app is not in this tenant/);
    expect(r.stdout).toMatch(/checks failed \(.*acquired \(aaaaaaaa-0000-4000-8000-00000000a001\)/);
    expect(r.stdout + r.stderr).not.toContain(DEV_SECRET);
  }, 60_000);
});

describe('run across tenants', () => {
  it('pulls every tenant, judges and reports each on its own, and fails naming the tenant that could not be pulled', async () => {
    const reportDir = join(tmp.dir, 'run-reports');
    const w = workspace({
      run: { sources: ['graph'], reportDir, reportFormats: ['html', 'json'], maxDataAgeHours: 100_000 },
    });
    const r = await cli(['--db', w.db, '--config', w.cfg, 'run', '--period', '2026-11']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout, r.stderr).toMatch(/^status: failed/);
    const steps = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { step?: string; ok?: boolean; detail?: string; error?: string });
    const ingest = steps.find((x) => x.step === 'ingest graph')!;
    expect(ingest.ok).toBe(false);
    expect(ingest.error).toMatch(/2 of 4 tenant\(s\) failed: acquired \(aaaaaaaa-[^)]*\) \(azure-auth: Sign-in/);
    // The two tenants that answered are judged each with its own name, and each has its own report.
    const judged = steps.find((x) => x.step === 'metrics and checks')!;
    expect(judged.ok, judged.error).toBe(true);
    expect(judged.detail).toContain(`contoso-prod (${ids.prod}): `);
    expect(judged.detail).toContain(`contoso-dev (${ids.dev}): `);
    const from = '2026-11-01';
    // Every configured tenant has its report, the two that could not be pulled too: they show no data
    // (and the run calls them stale) instead of dropping out of the summary.
    const names = ['acquired', 'contoso-dev', 'contoso-prod', 'no-perm'];
    expect(readdirSync(reportDir).sort()).toEqual(
      [
        ...names.flatMap((t) => ['findings.csv', 'html', 'json'].map((x) => `pimops-${from}-${t}.${x}`)),
        `pimops-${from}-tenants.html`,
        `pimops-${from}-tenants.json`,
      ].sort(),
    );
    const summary = JSON.parse(readFileSync(join(reportDir, `pimops-${from}-tenants.json`), 'utf8')) as {
      tenants: { name: string }[];
    };
    expect(summary.tenants.map((t) => t.name).sort()).toEqual(names);
    expect(r.stdout).toMatch(
      /stale: acquired \(aaaaaaaa-0000-4000-8000-00000000a001\): the newest audit record is missing/,
    );
    expect(r.stdout).not.toMatch(/stale: contoso-(dev|prod)/);
  }, 120_000);
});
