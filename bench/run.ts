// npm run bench [-- --records 1000000]: import speed against DuckDB's own typed read of the same
// files, and the metric queries on the result. Each step runs in its own process; ratios from one
// run are the figures to quote (this machine is shared and noisy). Never part of `npm test`.
import { mkdirSync, rmSync, writeFileSync, existsSync, statSync, readdirSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';
import { generateTenant } from '../fixtures/generator/index.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { GRAPH_COLUMNS, readColumnsSql } from '../transform/columns.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const target = Number(arg('records', '1000000'));
const filesWanted = Number(arg('files', '10'));
const root = resolve('bench/data');
const dataDir = join(root, `records-${target}`);
const results = resolve('bench/results');
mkdirSync(results, { recursive: true });

const BASE_DAYS = 120;
const DAY_MS = 86_400_000;
/** The same tenant's next 120 days: new record and request ids, every time shifted. */
function replay(line: string, copy: number): string {
  const shift = copy * BASE_DAYS * DAY_MS;
  return line
    .replace(/"id":"([^"]+)"/, `"id":"$1-c${copy}"`)
    .replace(/"RoleAssignmentRequestId","value":"([^"]+)"/, `"RoleAssignmentRequestId","value":"$1-c${copy}"`)
    .replace(/"id":"([^"]+)","displayName":null,"type":"Request"/, `"id":"$1-c${copy}","displayName":null,"type":"Request"`)
    .replace(/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})(\d{4})?(Z|\+00:00)/g, (_m, base: string, extra: string | undefined, zone: string) =>
      new Date(Date.parse(`${base}Z`) + shift).toISOString().slice(0, 23) + (extra ?? '') + zone);
}

async function makeData(): Promise<string[]> {
  if (existsSync(join(dataDir, 'done'))) return readdirSync(dataDir).filter((f) => f.endsWith('.ndjson.gz')).map((f) => join(dataDir, f)).sort();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // A realistic tenant of ~100k records, replayed with new ids and shifted times until the target is reached.
  const t = generateTenant({ seed: 1, admins: 120, start: new Date('2023-01-01T00:00:00Z'), days: BASE_DAYS, noiseRatio: 1 });
  const base = t.records.map((r) => JSON.stringify(r));
  const perFile = Math.ceil(target / filesWanted);
  const files: string[] = [];
  let written = 0;
  for (let f = 0; written < target; f++) {
    const path = join(dataDir, `part-${String(f).padStart(3, '0')}.ndjson.gz`);
    const gz = createGzip({ level: 6 });
    const out = createWriteStream(path);
    gz.pipe(out);
    for (let i = 0; i < perFile && written < target; i++, written++) {
      const copy = Math.floor(written / base.length);
      let line = base[written % base.length];
      if (copy > 0) line = replay(line, copy);
      if (!gz.write(line + '\n')) await once(gz, 'drain');
    }
    gz.end();
    await once(out, 'finish');
    files.push(path);
  }
  writeFileSync(join(dataDir, 'done'), String(written));
  return files;
}

function timed(label: string, cmd: string, cmdArgs: string[]) {
  const t0 = performance.now();
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return { seconds, stdout: r.stdout, stderr: r.stderr };
}

async function baseline(files: string[]): Promise<number> {
  const db = join(root, 'baseline.duckdb');
  rmSync(db, { force: true });
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  const t0 = performance.now();
  await c.run(`CREATE TABLE t AS SELECT * FROM read_ndjson([${files.map((f) => `'${f}'`).join(',')}], columns=${readColumnsSql(GRAPH_COLUMNS)})`);
  const s = (performance.now() - t0) / 1000;
  c.closeSync();
  inst.closeSync();
  rmSync(db, { force: true });
  return s;
}

const files = await makeData();
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
console.error(`data: ${files.length} gzip NDJSON files, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${target} records`);
const baseSeconds = await baseline(files);
console.error(`baseline DuckDB read_ndjson (typed columns, into a table): ${baseSeconds.toFixed(1)} s`);

const db = join(root, 'bench.duckdb');
rmSync(db, { force: true });
rmSync(join(root, 'bench.landing'), { recursive: true, force: true });
const bin = resolve('bin/pimops.js');
const imp = timed('import', process.execPath, [bin, '--db', db, 'import', ...files, '--json']);
const summary = JSON.parse(imp.stdout);
console.error(`pimops import: ${imp.seconds.toFixed(1)} s = ${(imp.seconds / baseSeconds).toFixed(2)}× baseline, ${Math.round(summary.records / imp.seconds)} records/s`, summary);
const metrics = timed('metrics', process.execPath, [bin, '--db', db, 'metrics', '--from', '2025-06-01', '--to', '2025-07-01', '--json']);
console.error(`pimops metrics (one month, incl. process start): ${metrics.seconds.toFixed(2)} s`);
const again = timed('re-import', process.execPath, [bin, '--db', db, 'import', ...files, '--json']);
console.error(`re-import of the same files: ${again.seconds.toFixed(1)} s`, JSON.parse(again.stdout));
const dbBytes = statSync(db).size;
// The Graph pull against the loopback fake, in its own process (the fake's certificate must be trusted at start).
import { loopbackCert } from '../test/fakes/cert.js';
const cert = loopbackCert();
const graphRun = spawnSync(process.execPath, ['--import', 'tsx', resolve('bench/graph-pull.ts'), arg('graph-records', '200000')], {
  encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certPath, PIMOPS_TEST_CERT: cert.certPath, PIMOPS_TEST_KEY: cert.keyPath }, maxBuffer: 1 << 24 });
if (graphRun.status !== 0) throw new Error(`graph bench failed: ${graphRun.stderr}`);
const graph = JSON.parse(graphRun.stdout.trim().split('\n').at(-1)!);
console.error(`graph pull (loopback fake, ${graph.records} records): pimops ${graph.pimopsRecordsPerSecond} rec/s vs bare client ${graph.bareRecordsPerSecond} rec/s = ${graph.ratio.toFixed(2)}×; at 10 req/s: ${graph.throttled10PerSecond.recordsPerSecond} rec/s, max ${graph.throttled10PerSecond.maxRequestsInAnyWindow} requests in any 1 s`);
const result = { at: new Date().toISOString(), records: target, files: files.length, gzipMiB: bytes / 2 ** 20, baselineSeconds: baseSeconds,
  importSeconds: imp.seconds, ratio: imp.seconds / baseSeconds, recordsPerSecond: summary.records / imp.seconds, metricsSeconds: metrics.seconds,
  reimportSeconds: again.seconds, databaseMiB: dbBytes / 2 ** 20, graph };
writeFileSync(join(results, `bench-${Date.now()}.json`), JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
