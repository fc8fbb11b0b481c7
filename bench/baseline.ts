// Child of bench/run.ts: DuckDB's own typed read_ndjson of the benchmark files into a table, the
// figure pimops import is compared with. Times only the CREATE TABLE (not process start), then
// prints one JSON line: seconds, rows, the table's database size and this process's peak RSS (kB).
// Usage: node --import tsx bench/baseline.ts <scratch.duckdb> <file.ndjson.gz>...
import { rmSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { GRAPH_COLUMNS, readColumnsSql } from '../transform/columns.js';

const [db, ...files] = process.argv.slice(2);
if (!db || files.length === 0) throw new Error('usage: baseline.ts <scratch.duckdb> <files...>');
const clean = () => {
  for (const p of [db, `${db}.wal`, `${db}.tmp`]) rmSync(p, { recursive: true, force: true });
};
clean();
const inst = await DuckDBInstance.create(db);
const c = await inst.connect();
const t0 = performance.now();
await c.run(
  `CREATE TABLE t AS SELECT * FROM read_ndjson([${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(',')}], columns=${readColumnsSql(GRAPH_COLUMNS)})`,
);
const seconds = (performance.now() - t0) / 1000;
const rows = Number((await c.runAndReadAll('SELECT count(*) AS n FROM t')).getRowObjectsJS()[0].n);
c.closeSync();
inst.closeSync();
const dbBytes = statSync(db).size;
clean();
console.log(JSON.stringify({ seconds, rows, dbBytes, maxRSS: process.resourceUsage().maxRSS }));
