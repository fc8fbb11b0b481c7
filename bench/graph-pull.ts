// Graph pull rate against the loopback fake: pimops (landing every page) vs the same Graph client
// draining the same pages bare, throttle off; then with a 10-requests-per-second limit, checking
// the fake never saw more. Run by bench/run.ts (once per bench run) with NODE_EXTRA_CA_CERTS set.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateTenant } from '../fixtures/generator/index.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig } from '../test/fakes/azure-fake.js';
import { parseConfig } from '../core/config.js';
import { createCredential } from '../core/azure.js';
import { createGraphClient } from '../ingest/graph/client.js';
import { pullDirectoryAudits } from '../ingest/graph/audits.js';
import { LandingStore } from '../core/landing.js';

const target = Number(process.argv[2] ?? 200_000);
const base = generateTenant({
  seed: 5,
  admins: 150,
  start: new Date('2026-01-01T00:00:00Z'),
  days: 120,
  noiseRatio: 1,
}).records;
const records: Record<string, unknown>[] = [];
for (let copy = 0; records.length < target; copy++) {
  for (const r of base) {
    if (records.length >= target) break;
    records.push(
      copy === 0
        ? { ...r }
        : {
            ...r,
            id: `${r.id}-c${copy}`,
            activityDateTime: new Date(Date.parse(r.activityDateTime) + copy * 120 * 86_400_000).toISOString(),
          },
    );
  }
}
const fake = await startFakeAzure({ records });
Object.assign(process.env, fakeEnv(fake));
const since = new Date('2025-12-31T00:00:00Z');
const until = new Date(records.reduce((m, r) => Math.max(m, Date.parse(String(r.activityDateTime))), 0) + 1000);
const cfg = (limit: number, windowSeconds: number) =>
  parseConfig({
    azure: fakeAzureConfig(fake, { requestsPerWindow: limit, windowSeconds, auditRetentionDays: 100000 }),
  });

async function bare(): Promise<number> {
  const config = cfg(100000, 1);
  const client = createGraphClient(config, createCredential(config));
  const t0 = performance.now();
  let n = 0;
  let next: string | undefined =
    `/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDateTime ge ${since.toISOString()} and activityDateTime le ${until.toISOString()}`)}&$top=1000`;
  while (next) {
    const page = (await client.api(next).get()) as { 'value': unknown[]; '@odata.nextLink'?: string };
    n += page.value.length;
    next = page['@odata.nextLink'];
  }
  if (n !== records.length) throw new Error(`bare drain got ${n} of ${records.length}`);
  return n / ((performance.now() - t0) / 1000);
}

async function landed(limit: number, windowSeconds: number): Promise<{ rate: number; maxInWindow: number }> {
  const dir = resolve('bench/data/graph-landing');
  rmSync(dir, { recursive: true, force: true });
  const config = cfg(limit, windowSeconds);
  const client = createGraphClient(config, createCredential(config));
  const from = fake.graphRequests.length;
  const t0 = performance.now();
  const r = await pullDirectoryAudits(client, new LandingStore(join(dir)), config, { since, until, now: until });
  const rate = r.records / ((performance.now() - t0) / 1000);
  if (r.records !== records.length) throw new Error(`pull got ${r.records}`);
  const times = fake.graphRequests.slice(from).map((q) => q.at);
  let maxInWindow = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowSeconds * 1000) j++;
    maxInWindow = Math.max(maxInWindow, i - j + 1);
  }
  return { rate, maxInWindow };
}

const bareRate = await bare();
const pimops = await landed(100000, 1);
const throttled = await landed(10, 1);
await fake.close();
// The last stdout line is what bench/run.ts reads; maxRSS is this process's peak in kB (fake included).
console.log(
  JSON.stringify({
    records: records.length,
    pages: Math.ceil(records.length / 1000),
    bareRecordsPerSecond: Math.round(bareRate),
    pimopsRecordsPerSecond: Math.round(pimops.rate),
    bareSeconds: records.length / bareRate,
    pimopsSeconds: records.length / pimops.rate,
    ratio: pimops.rate / bareRate,
    throttled10PerSecond: {
      recordsPerSecond: Math.round(throttled.rate),
      maxRequestsInAnyWindow: throttled.maxInWindow,
    },
    maxRSS: process.resourceUsage().maxRSS,
  }),
);
