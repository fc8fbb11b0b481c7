// Rows for the custom tables, and which of them still have to be sent. The database remembers the
// content hash and version of every row that reached a workspace (sentinel_sent), per tenant and
// destination (the DCR), so a repeated export sends only rows that are new or changed, and a
// tombstone (RowDeleted) for a row that disappeared: Log Analytics never updates a row, readers
// take the newest version. Two tenants, or two destinations, never suppress each other's rows.
import { createHash } from 'node:crypto';
import type { Db, Row } from '../../core/db.js';
import { configFor, type Config } from '../../core/config.js';
import { runQuery, pickParams } from '../../queries/registry.js';
import { configParams } from '../../queries/params.js';
import { findingColumns, runChecks } from '../checks.js';
import { planeOfFinding } from '../planes-section.js';
import { metricValues } from '../metric-values.js';
import { SENTINEL_TABLES, type SentinelTable, type SentinelColumn } from './tables.js';
import { asText } from '../../core/text.js';

export type Payload = Record<string, string | number | boolean | null | object>;

export interface CurrentRow {
  rowId: string;
  hash: string;
  eventTime: string | null;
  content: Payload;
}

export interface PendingRow {
  table: string;
  rowId: string;
  hash: string | null;
  eventTime: string | null;
  deleted: boolean;
  payload: Payload;
}

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

async function sourceRows(db: Db, config: Config, t: SentinelTable, asOf: Date): Promise<Row[]> {
  const tenant = config.tenant ?? null;
  return (await tableRows(db, config, t, asOf)).map((r) => ({ ...r, tenant_id: tenant }));
}

async function tableRows(db: Db, config: Config, t: SentinelTable, asOf: Date): Promise<Row[]> {
  const span = await db.one<{ first: Date | null }>('SELECT min(event_time) AS first FROM audit_events');
  const period = { from: span?.first ?? asOf, to: asOf, asOf };
  if ('query' in t.rows) return runQuery(db, t.rows.query, pickParams(t.rows.query, configParams(config, period)));
  if ('metricValues' in t.rows) return (await metricValues(db, config)) as unknown as Row[];
  // Findings over everything the database holds, as of the export.
  return (await runChecks(db, config, period)).map((f) => ({
    // check_id is the column CheckId was first sent from: it carries the rule id now, beside rule_id.
    check_id: f.ruleId,
    rule_id: f.ruleId,
    ...findingColumns(f),
    plane: planeOfFinding(f),
  }));
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The table's rows as they stand now, for the tenant `config` is for (config.tenant, which the
 * reader's scoping sets), keyed by a RowId that is stable across runs and starts with the tenant:
 * one workspace may hold several tenants' rows, and readers take the newest version by RowId alone.
 */
export async function currentRows(db: Db, config: Config, t: SentinelTable, asOf: Date): Promise<CurrentRow[]> {
  const rows = await sourceRows(db, config, t, asOf);
  const seen = new Map<string, number>();
  const prefix = config.tenant ? `${config.tenant}:` : '';
  return rows.map((r) => {
    const idParts = t.rowId.map((k) => asText(r[k]));
    let rowId = prefix + (idParts.length === 1 ? idParts[0] : sha(idParts.join('\u001f')).slice(0, 32));
    // The same identity twice in one export (two identical findings): number them in output order.
    const n = (seen.get(rowId) ?? 0) + 1;
    seen.set(rowId, n);
    if (n > 1) rowId = `${rowId}#${n}`;
    const content: Payload = {};
    for (const col of t.columns) {
      if (!col.from) continue;
      if (!(col.from in r)) throw new Error(`${t.name}.${col.name}: the source has no column ${col.from}`);
      content[col.name] = toKusto(col, r[col.from]);
    }
    return { rowId, hash: sha(JSON.stringify(content)), eventTime: iso(r[t.eventTime]), content };
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

interface SentState {
  hash: string | null;
  version: number;
  deleted: boolean;
  eventTime: string | null;
}

async function sentState(db: Db, key: SentKey, table: string): Promise<Map<string, SentState>> {
  const rows = await db.all<{
    row_id: string;
    row_hash: string | null;
    row_version: bigint;
    deleted: boolean;
    event_time: Date | null;
  }>(
    `SELECT row_id, row_hash, row_version, deleted, event_time FROM ${await sentTable(db)}
     WHERE tenant_id IS NOT DISTINCT FROM $tenant AND destination = $dest AND table_name = $t`,
    { tenant: key.tenant, dest: key.destination, t: table },
  );
  return new Map(
    rows.map((r) => [
      r.row_id,
      { hash: r.row_hash, version: Number(r.row_version), deleted: r.deleted, eventTime: iso(r.event_time) },
    ]),
  );
}

/** Whose rows, sent where: the state a repeated export compares with. */
export interface SentKey {
  tenant: string | null;
  destination: string;
}

export function sentKeyOf(config: Config): SentKey {
  return { tenant: config.tenant ?? null, destination: destinationOf(config) };
}

/**
 * What to send for the tenant `config` is for, to the destination it names: rows that are new,
 * changed or back after a deletion, and a tombstone for each row sent there that no longer exists.
 * `full` sends every current row again (a new workspace, a lost table).
 */
export async function pendingRows(
  db: Db,
  config: Config,
  asOf: Date,
  opts: { full?: boolean; now?: Date } = {},
): Promise<{ version: number; rows: PendingRow[]; current: Record<string, number> }> {
  const key = sentKeyOf(config);
  const maxSent = await db.one<{ v: bigint | null }>(`SELECT max(row_version) AS v FROM ${await sentTable(db)}`);
  // Export time in ms, never below a version already sent: a clock set back cannot make a newer
  // state lose to an older one in arg_max.
  const version = Math.max((opts.now ?? new Date()).getTime(), Number(maxSent?.v ?? 0) + 1);
  const generated = new Date(version).toISOString();
  const out: PendingRow[] = [];
  const current: Record<string, number> = {};
  for (const t of SENTINEL_TABLES) {
    const now = await currentRows(db, config, t, asOf);
    current[t.name] = now.length;
    const sent = await sentState(db, key, t.name);
    const envelope = (rowId: string, deleted: boolean, eventTime: string | null): Payload => ({
      TimeGenerated: generated,
      RowId: rowId,
      RowVersion: version,
      RowDeleted: deleted,
      EventTime: eventTime ?? generated,
    });
    const live = new Set<string>();
    for (const r of now) {
      live.add(r.rowId);
      const s = sent.get(r.rowId);
      if (!opts.full && s && !s.deleted && s.hash === r.hash) continue;
      out.push({
        table: t.name,
        rowId: r.rowId,
        hash: r.hash,
        eventTime: r.eventTime,
        deleted: false,
        payload: { ...envelope(r.rowId, false, r.eventTime), ...r.content },
      });
    }
    for (const [rowId, s] of sent) {
      if (live.has(rowId) || s.deleted) continue;
      out.push({
        table: t.name,
        rowId,
        hash: null,
        eventTime: s.eventTime,
        deleted: true,
        payload: { ...envelope(rowId, true, s.eventTime), TenantId: key.tenant },
      });
    }
  }
  return { version, rows: out, current };
}

/** Records rows the workspace accepted, for the tenant and destination they were sent for. */
export async function markSent(db: Db, key: SentKey, rows: PendingRow[], version: number): Promise<void> {
  if (!rows.length) return;
  const table = await sentTable(db);
  const sentAt = new Date();
  await db.run(`CREATE OR REPLACE TEMP TABLE sentinel_accepted (${SENT_COLUMNS})`);
  await db.appendRows(
    'sentinel_accepted',
    rows.map((r) => [
      key.tenant,
      key.destination,
      r.table,
      r.rowId,
      r.hash,
      version,
      r.deleted,
      r.eventTime ? new Date(r.eventTime) : null,
      sentAt,
    ]),
  );
  await db.transaction(async () => {
    await db.run(
      `DELETE FROM ${table} s USING sentinel_accepted a
       WHERE s.tenant_id IS NOT DISTINCT FROM a.tenant_id AND s.destination = a.destination
         AND s.table_name = a.table_name AND s.row_id = a.row_id`,
    );
    await db.run(`INSERT INTO ${table} SELECT * FROM sentinel_accepted`);
  });
  await db.run('DROP TABLE sentinel_accepted');
}
