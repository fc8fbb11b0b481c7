// Start-up: a new process per command with a warm page cache, pimops against the bare floor of what
// it does: Node opening the same store read-only with @duckdb/node-api and running the same query.
// Median of 5 (after one unmeasured warm-up run each), all in one run. Target: within 2× the floor.
// Prints one JSON line on stdout; progress on stderr. npm run bench runs it; alone:
//   node --import tsx bench/start.ts [store.duckdb]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve('bin/pimops.js');
const RUNS = 5;
const QUERY = 'SELECT count(*) FROM audit_events';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(args: string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return seconds;
}

function measure(label: string, args: string[], cwd: string): number {
  time(args, cwd); // warm the page cache
  const m = median(Array.from({ length: RUNS }, () => time(args, cwd)));
  console.error(`${label}: median ${m.toFixed(3)} s of ${RUNS}`);
  return m;
}

const work = mkdtempSync(join(tmpdir(), 'pimops-start-'));
try {
  let store = process.argv[2] ? resolve(process.argv[2]) : join(work, 'pimops.duckdb');
  if (!existsSync(store)) {
    console.error('making a demo store for the start-up bench …');
    const r = spawnSync(process.execPath, [bin, '--db', store, 'demo', '--through', '2026-10', '--admins', '20'], {
      cwd: work,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`demo failed: ${r.stderr}`);
    store = resolve(work, store);
  }
  const floorScript = join(work, 'floor.mjs');
  const api = resolve('node_modules/@duckdb/node-api/lib/index.js');
  writeFileSync(
    floorScript,
    `import { DuckDBInstance } from ${JSON.stringify(api)};
const i = await DuckDBInstance.create(process.argv[2], { access_mode: 'READ_ONLY' });
const c = await i.connect();
const r = await c.runAndReadAll(${JSON.stringify(QUERY)});
process.stdout.write(String(r.getRowsJS()[0][0]) + '\\n');
c.closeSync(); i.closeSync();\n`,
  );
  const floor = measure('floor: node + @duckdb/node-api, read-only open + query', [floorScript, store], work);
  const sql = measure(`pimops sql "${QUERY}"`, [bin, '--db', store, 'sql', QUERY, '--format', 'csv'], work);
  const version = measure('pimops --version', [bin, '--version'], work);
  const node = measure('node -e 0 (the process alone)', ['-e', '0'], work);
  const result = {
    runs: RUNS,
    floorSeconds: floor,
    nodeSeconds: node,
    sqlSeconds: sql,
    versionSeconds: version,
    sqlRatio: sql / floor,
    versionRatio: version / floor,
    target: 2,
  };
  console.error(
    `start-up: sql ${result.sqlRatio.toFixed(2)}× and --version ${result.versionRatio.toFixed(2)}× the floor (target ≤ 2×)`,
  );
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
