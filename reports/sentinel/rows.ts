// Rows for the custom tables, and which of them still have to be sent. The database remembers the
// content hash and version of every row that reached a workspace (sentinel_sent), per tenant and
// destination (the DCR), so a repeated export sends only rows that are new or changed, and a
// tombstone (RowDeleted) for a row that disappeared: Log Analytics never updates a row, readers
// take the newest version. Two tenants, or two destinations, never suppress each other's rows.
//
// A table is never held in memory: its RowIds and content hashes are computed and compared with
// what was sent in DuckDB (a narrow TEMP table of RowId, hash, event time and whether to send), and
// only the rows to send are read again, streamed in RowId order, each made into its payload as it
// passes. The named queries are cheap beside holding 1.26M rows as objects (a 10M store): a row to
// send is computed twice, an unchanged row once and never leaves DuckDB.
import type { Db, Param, Params, Row } from '../../core/db.js';
import { configFor, type Config } from '../../core/config.js';
import { getQuery, bind, pickParams } from '../../queries/registry.js';
import { configParams } from '../../queries/params.js';
import { findingColumns, runChecks } from '../checks.js';
import { planeOfFinding } from '../planes-section.js';
import { metricValues } from '../metric-values.js';
import type { KustoType, SentinelTable, SentinelColumn } from './tables.js';
import { asText } from '../../core/text.js';
import { timed } from '../../core/profile.js';

export type Payload = Record<string, string | number | boolean | null | object>;

// Azure truncates field values over 64 KB, counted in bytes: cut long text ourselves, visibly, well
// below that. By UTF-8 bytes, not characters: 32,000 characters of CJK text are 96,000 bytes.
export const MAX_TEXT_BYTES = 32_000;

/** Text cut to at most `max` bytes of UTF-8 (marker included), never inside a character. */
export function cutUtf8(s: string, max = MAX_TEXT_BYTES): string {
  const bytes = Buffer.byteLength(s);
  if (bytes <= max) return s;
  const marker = `… [cut by pimops: ${bytes} bytes]`;
  const budget = max - Buffer.byteLength(marker);
  let used = 0;
  let end = 0;
  // By code point, so a surrogate pair is kept or dropped whole.
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (used + n > budget) break;
    used += n;
    end += ch.length;
  }
  return s.slice(0, end) + marker;
}

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(asText(v));
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${asText(v)}`);
  return d.toISOString();
}

/** A source value as the column's Kusto type carries it in JSON. */
export function toKusto(col: SentinelColumn, v: unknown): Payload[string] {
  if (v === null || v === undefined) return null;
  switch (col.type) {
    case 'string': {
      const s = asText(v);
      return cutUtf8(s);
    }
    case 'long':
      return Math.trunc(Number(v));
    case 'real': {
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      return Boolean(v);
    case 'datetime':
      return iso(v);
    case 'dynamic':
      return typeof v === 'string' ? (JSON.parse(v) as object) : v;
  }
}

const DUCK: Record<KustoType, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  real: 'DOUBLE',
  boolean: 'BOOLEAN',
  datetime: 'TIMESTAMPTZ',
  dynamic: 'VARCHAR',
};

/** A JS value for a column of this Kusto type in a DuckDB table. */
function toParam(type: KustoType, v: unknown): Param {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'long': {
      const n = Math.trunc(Number(v));
      return Number.isFinite(n) ? BigInt(n) : null;
    }
    case 'real': {
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      return Boolean(v);
    case 'datetime':
      return new Date(iso(v)!);
    default:
      return asText(v);
  }
}

/** Rows made in JS (metric values, findings; thousands, not millions) as a TEMP table DuckDB can key and hash. */
async function loadRows(db: Db, t: SentinelTable, rows: Row[]): Promise<void> {
  const cols = new Map<string, KustoType>();
  for (const c of t.columns) if (c.from && c.from !== 'tenant_id') cols.set(c.from, c.type);
  for (const k of t.rowId) if (!cols.has(k)) cols.set(k, 'string');
  if (!cols.has(t.eventTime)) cols.set(t.eventTime, 'datetime');
  const names = [...cols.keys()];
  await db.run(
    `CREATE OR REPLACE TEMP TABLE sentinel_src (${names.map((n) => `${ident(n)} ${DUCK[cols.get(n)!]}`).join(', ')})`,
  );
  for (let i = 0; i < rows.length; i += 10_000)
    await db.appendRows(
      'sentinel_src',
      rows.slice(i, i + 10_000).map((r) =>
        names.map((n) => {
          if (!(n in r)) throw new Error(`${t.name}: the source has no column ${n}`);
          return toParam(cols.get(n)!, r[n]);
        }),
      ),
    );
}

/** Where a table's rows come from, as SQL to select from (with its parameters). */
async function tableSource(
  db: Db,
  config: Config,
  t: SentinelTable,
  asOf: Date,
): Promise<{ from: string; params: Params }> {
  const span = await db.one<{ first: Date | null }>('SELECT min(event_time) AS first FROM audit_events');
  const period = { from: span?.first ?? asOf, to: asOf, asOf };
  if ('query' in t.rows) {
    const q = getQuery(t.rows.query);
    // A trailing comment or ';' would swallow what follows the query in a subquery. The query's own
    // final ORDER BY goes: DuckDB keeps it in a subquery, and sorting a million wide rows takes the
    // memory the export is meant to save (rows are sent in any order; readers key them by RowId).
    const sql = q.sql.replace(/(;|\s|--[^\n]*)*$/, '').replace(/\sORDER\s+BY\s+[\w\s,."]+$/i, '');
    return { from: `(\n${sql}\n)`, params: bind(q, pickParams(t.rows.query, configParams(config, period))) };
  }
  if ('metricValues' in t.rows) await loadRows(db, t, (await metricValues(db, config)) as unknown as Row[]);
  else
    // Findings over everything the database holds, as of the export.
    await loadRows(
      db,
      t,
      (await runChecks(db, config, period)).map((f) => ({
        // check_id is the column CheckId was first sent from: it carries the rule id now, beside rule_id.
        check_id: f.ruleId,
        rule_id: f.ruleId,
        ...findingColumns(f),
        plane: planeOfFinding(f),
      })),
    );
  return { from: 'sentinel_src', params: {} };
}

/**
 * The table's rows keyed, as SQL: __row_id (stable across runs; `<tenant>:` first, then the one
 * identifying column, else the first 32 hex digits of the sha256 of the identifying columns joined
 * by U+001F; the same identity twice gets `#2`, `#3` in hash order), __row_hash (sha256 of the row's
 * content by Kusto column name, TenantId included: a new column or a changed value changes it),
 * __n (the identity's number) and __event_time, beside the source columns. $sentinel_tenant binds
 * the tenant. `unique`: the identities are known to be unique, so no hash and no numbering (reading
 * the rows to send again, when the first pass found no identity twice).
 */
function keyedSql(t: SentinelTable, from: string, opts: { unique?: boolean } = {}): string {
  const q = (c: string) => `src.${ident(c)}`;
  const text = (c: string) => `coalesce(CAST(${q(c)} AS VARCHAR), '')`;
  const base =
    t.rowId.length === 1 ? text(t.rowId[0]) : `substr(sha256(${t.rowId.map(text).join(' || chr(31) || ')}), 1, 32)`;
  const id = `coalesce($sentinel_tenant || ':', '') || ${base}`;
  const time = `CAST(${q(t.eventTime)} AS TIMESTAMPTZ) AS __event_time`;
  if (opts.unique)
    return `WITH src AS (SELECT * FROM ${from}),
cur AS (SELECT ${id} AS __row_id, NULL AS __row_hash, 1 AS __n, ${time}, src.* FROM src)`;
  const content = t.columns
    .filter((c) => c.from)
    .map((c) => `${sqlKey(c.name)} := ${c.from === 'tenant_id' ? '$sentinel_tenant' : q(c.from!)}`)
    .join(', ');
  return `WITH src AS (SELECT * FROM ${from}),
keyed AS (SELECT ${id} AS __base, sha256(to_json(struct_pack(${content}))) AS __row_hash, ${time}, src.* FROM src),
numbered AS (SELECT row_number() OVER (PARTITION BY __base ORDER BY __row_hash) AS __n, * FROM keyed),
cur AS (
  SELECT CASE WHEN __n = 1 THEN __base ELSE __base || '#' || __n END AS __row_id, * EXCLUDE (__base)
  FROM numbered
)`;
}

const sqlKey = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : ident(name));

export interface OutRow {
  rowId: string;
  deleted: boolean;
  payload: Payload;
}

/** The export's rows of one table, the rows it sends and the ones it removes. */
export interface TableRows {
  current: number;
  send: number;
  tombstones: number;
  /** Rows to send, a batch at a time, in no particular order: live rows, then tombstones. */
  rows(): AsyncIterable<OutRow[]>;
  /** Records in sentinel_sent what the destination accepted: every row sent but the refused ones. */
  record(refused: string[][]): Promise<void>;
  /** Drops the TEMP tables. */
  close(): Promise<void>;
}

/**
 * What to send of one table for the tenant `config` is for (config.tenant, which the reader's
 * scoping sets), to the destination it names: rows that are new, changed or back after a deletion,
 * and a tombstone for each row sent there that no longer exists. `full` sends every current row
 * again (a new workspace, a lost table). `version` is the export's (versionOf).
 */
export async function tableRows(
  db: Db,
  config: Config,
  t: SentinelTable,
  opts: { asOf: Date; version: number; full?: boolean },
): Promise<TableRows> {
  const key = sentKeyOf(config);
  const state = await sentTable(db);
  const { from, params } = await timed(`sentinel ${t.name}: source`, () => tableSource(db, config, t, opts.asOf));
  const keyed = keyedSql(t, from);
  const p = { ...params, sentinel_tenant: key.tenant };
  const mine = { sentinel_tenant: key.tenant, sentinel_dest: key.destination, sentinel_table: t.name };
  const ofMine = (a = '') =>
    `${a}tenant_id IS NOT DISTINCT FROM $sentinel_tenant AND ${a}destination = $sentinel_dest AND ${a}table_name = $sentinel_table`;
  // Narrow: a RowId, a hash and a time per row, never the row itself.
  await timed(`sentinel ${t.name}: hash and compare`, () =>
    db.run(
      `CREATE OR REPLACE TEMP TABLE sentinel_now AS
     ${keyed}
     SELECT c.__row_id, c.__row_hash, c.__event_time, c.__n,
            ($sentinel_full OR s.row_id IS NULL OR s.deleted OR s.row_hash IS DISTINCT FROM c.__row_hash) AS __send
     FROM cur c LEFT JOIN (SELECT row_id, row_hash, deleted FROM ${state} WHERE ${ofMine()}) s ON s.row_id = c.__row_id`,
      { ...p, ...mine, sentinel_full: Boolean(opts.full) },
    ),
  );
  await timed(`sentinel ${t.name}: gone`, () =>
    db.run(
      `CREATE OR REPLACE TEMP TABLE sentinel_gone AS
     SELECT s.row_id AS __row_id, s.event_time AS __event_time FROM ${state} s
     WHERE ${ofMine('s.')} AND NOT s.deleted AND NOT EXISTS (SELECT 1 FROM sentinel_now n WHERE n.__row_id = s.row_id)`,
      mine,
    ),
  );
  const counts = await db.one<{ current: bigint; send: bigint; gone: bigint; twice: bigint }>(
    `SELECT (SELECT count(*) FROM sentinel_now) AS current, (SELECT count(*) FROM sentinel_now WHERE __send) AS send,
            (SELECT count(*) FROM sentinel_gone) AS gone, (SELECT count(*) FROM sentinel_now WHERE __n > 1) AS twice`,
  );
  const current = Number(counts!.current);
  const send = Number(counts!.send);
  const tombstones = Number(counts!.gone);
  const generated = new Date(opts.version).toISOString();
  const envelope = (rowId: string, deleted: boolean, eventTime: unknown): Payload => ({
    TimeGenerated: generated,
    RowId: rowId,
    RowVersion: opts.version,
    RowDeleted: deleted,
    EventTime: iso(eventTime) ?? generated,
  });
  const columns = t.columns.filter((c): c is SentinelColumn & { from: string } => Boolean(c.from));

  async function* rows(): AsyncIterable<OutRow[]> {
    if (send) {
      // Every row, or only the rows to send: the join is skipped when nothing is left out. Without an
      // identity seen twice, the RowId needs neither the hash nor the numbering.
      const only =
        send === current ? '' : 'SEMI JOIN (SELECT __row_id FROM sentinel_now WHERE __send) n USING (__row_id)';
      const sql = keyedSql(t, from, { unique: Number(counts!.twice) === 0 });
      // No ORDER BY: a sort would hold the rows (about 1 KB each) that streaming avoids holding.
      const live = await db.stream(`${sql} SELECT * EXCLUDE (__row_hash, __n) FROM cur ${only}`, p);
      for await (const batch of live.batches)
        yield batch.map((r) => {
          const rowId = r.__row_id as string;
          const payload = envelope(rowId, false, r.__event_time);
          for (const c of columns) payload[c.name] = toKusto(c, c.from === 'tenant_id' ? key.tenant : r[c.from]);
          return { rowId, deleted: false, payload };
        });
    }
    if (tombstones) {
      const gone = await db.stream('SELECT __row_id, __event_time FROM sentinel_gone');
      for await (const batch of gone.batches)
        yield batch.map((r) => {
          const rowId = r.__row_id as string;
          return { rowId, deleted: true, payload: { ...envelope(rowId, true, r.__event_time), TenantId: key.tenant } };
        });
    }
  }

  async function record(refused: string[][]): Promise<void> {
    if (!send && !tombstones) return;
    await db.run('CREATE OR REPLACE TEMP TABLE sentinel_refused (row_id VARCHAR)');
    for (const ids of refused)
      await db.appendRows(
        'sentinel_refused',
        ids.map((id) => [id]),
      );
    await db.run(
      `CREATE OR REPLACE TEMP TABLE sentinel_accepted AS
       SELECT __row_id, __row_hash, __event_time, false AS deleted FROM sentinel_now WHERE __send
       UNION ALL
       SELECT __row_id, NULL, __event_time, true FROM sentinel_gone`,
    );
    await db.run('DELETE FROM sentinel_accepted WHERE __row_id IN (SELECT row_id FROM sentinel_refused)');
    await db.transaction(async () => {
      await db.run(
        `DELETE FROM ${state} s USING sentinel_accepted a WHERE ${ofMine('s.')} AND s.row_id = a.__row_id`,
        mine,
      );
      await db.run(
        `INSERT INTO ${state} SELECT $sentinel_tenant, $sentinel_dest, $sentinel_table, __row_id, __row_hash, $version,
           deleted, __event_time, now() FROM sentinel_accepted`,
        { ...mine, version: opts.version },
      );
    });
    await db.run('DROP TABLE sentinel_accepted');
    await db.run('DROP TABLE sentinel_refused');
  }

  async function close(): Promise<void> {
    for (const x of ['sentinel_now', 'sentinel_gone', 'sentinel_src']) await db.run(`DROP TABLE IF EXISTS ${x}`);
  }

  return { current, send, tombstones, rows, record, close };
}

/** Export time in ms, never below a version already sent: a clock set back cannot make a newer state lose in arg_max. */
export async function versionOf(db: Db, now = new Date()): Promise<number> {
  const maxSent = await db.one<{ v: bigint | null }>(`SELECT max(row_version) AS v FROM ${await sentTable(db)}`);
  return Math.max(now.getTime(), Number(maxSent?.v ?? 0) + 1);
}

/** The table's rows as they stand now, whole (for tests and small tables; the export streams). */
export async function currentRows(
  db: Db,
  config: Config,
  t: SentinelTable,
  asOf: Date,
): Promise<{ rowId: string; hash: string; eventTime: string | null; content: Payload }[]> {
  const tenant = config.tenant ?? null;
  const { from, params } = await tableSource(db, config, t, asOf);
  const rows = await db.all(`${keyedSql(t, from)} SELECT * FROM cur ORDER BY __row_id`, {
    ...params,
    sentinel_tenant: tenant,
  });
  await db.run('DROP TABLE IF EXISTS sentinel_src');
  return rows.map((r) => {
    const content: Payload = {};
    for (const c of t.columns) if (c.from) content[c.name] = toKusto(c, c.from === 'tenant_id' ? tenant : r[c.from]);
    return {
      rowId: r.__row_id as string,
      hash: r.__row_hash as string,
      eventTime: iso(r.__event_time),
      content,
    };
  });
}

/** Where rows go: the DCR's ingestion endpoint and immutable id ('' when none is configured). */
export function destinationOf(config: Config): string {
  const { ingestionEndpoint, dcrImmutableId } = config.sentinel;
  if (!ingestionEndpoint || !dcrImmutableId) return '';
  return `${ingestionEndpoint.replace(/\/+$/, '').toLowerCase()}|${dcrImmutableId}`;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * The state table by its full name: a reader scoped to one tenant sees a TEMP view in its place
 * (core/tenants.ts), which cannot be written.
 */
async function sentTable(db: Db): Promise<string> {
  const r = await db.one<{ d: string }>('SELECT current_database() AS d');
  return `${ident(r!.d)}.main.sentinel_sent`;
}

const SENT_COLUMNS = `tenant_id VARCHAR, destination VARCHAR, table_name VARCHAR, row_id VARCHAR, row_hash VARCHAR,
    row_version BIGINT, deleted BOOLEAN, event_time TIMESTAMPTZ, sent_at TIMESTAMPTZ`;

/**
 * Creates sentinel_sent, or moves one made before tenants and destinations (table, row id, …) into
 * the store's one tenant and the destination its configuration names now: those rows were sent
 * there, and their RowIds (without the tenant) get tombstones on the next upload. In a store of
 * several tenants such rows belong to none (the export mixed them): `--full` sends every row again.
 * Called before the reader is scoped to a tenant.
 */
export async function ensureSentState(db: Db, config: Config, tenants: string[]): Promise<void> {
  const table = await sentTable(db);
  const cols = await db.all<{ c: string }>(
    `SELECT column_name AS c FROM duckdb_columns() WHERE table_name = 'sentinel_sent' AND schema_name = 'main'
       AND database_name = current_database()`,
  );
  if (!cols.length) {
    await db.run(`CREATE TABLE ${table} (${SENT_COLUMNS})`);
    return;
  }
  if (cols.some((x) => x.c === 'tenant_id')) return;
  const tenant = tenants.length === 1 ? tenants[0] : null;
  await db.transaction(async () => {
    await db.run(`ALTER TABLE ${table} RENAME TO sentinel_sent_before_tenants`);
    await db.run(`CREATE TABLE ${table} (${SENT_COLUMNS})`);
    await db.run(
      `INSERT INTO ${table} SELECT $tenant, $dest, table_name, row_id, row_hash, row_version, deleted, event_time, sent_at
       FROM sentinel_sent_before_tenants`,
      { tenant, dest: destinationOf(configFor(config, tenant)) },
    );
    await db.run('DROP TABLE sentinel_sent_before_tenants');
  });
}

/** Whose rows, sent where: the state a repeated export compares with. */
export interface SentKey {
  tenant: string | null;
  destination: string;
}

export function sentKeyOf(config: Config): SentKey {
  return { tenant: config.tenant ?? null, destination: destinationOf(config) };
}
