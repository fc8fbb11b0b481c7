// Child of bench/run.ts: every named query in queries/*.sql, timed one by one in this one process
// against a built store, opened read-only as `pimops query` opens it. The period is the last full
// month in the data (as_of = its end); the investigations get real values picked from the store.
// Prints one JSON line: the period, the picks, each query's seconds, rows and this process's peak
// RSS so far (kB), the data's span and records/day, and the process's peak RSS.
// Usage: node --import tsx bench/queries.ts <store.duckdb>
import { Db, type Params } from '../core/db.js';
import { loadConfig } from '../core/config.js';
import { allQueries, countQueryRows, pickParams } from '../queries/registry.js';
import { configParams } from '../queries/params.js';

const dbPath = process.argv[2];
if (!dbPath) throw new Error('usage: queries.ts <store.duckdb>');
const DAY_MS = 86_400_000;
const INVESTIGATIONS = new Set([
  'principal_timeline',
  'role_timeline',
  'who_held_role_at',
  'request_trace',
  'approver_history',
  'elevation_activity',
]);
/** metric and check queries carry the speed target; investigations and export feeds are reported only. */
const kindOf = (id: string) =>
  id.startsWith('check_')
    ? 'check'
    : INVESTIGATIONS.has(id)
      ? 'investigation'
      : /^(sentinel|watchlist)_/.test(id)
        ? 'export'
        : 'metric';
const toDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

const config = loadConfig();
const t0 = performance.now();
const db = await Db.openReadOnly(dbPath, { memoryLimit: config.storage.memoryLimit });
const openSeconds = (performance.now() - t0) / 1000;
try {
  const span = await db.one<{ events: bigint; first: unknown; last: unknown }>(
    'SELECT count(*) AS events, min(event_time) AS first, max(event_time) AS last FROM audit_events',
  );
  if (!span || span.last === null) throw new Error(`no audit events in ${dbPath}`);
  const events = Number(span.events);
  const first = toDate(span.first);
  const last = toDate(span.last);
  // The last full month: the month before the one the newest record falls in. Data shorter than
  // that (a small test size) has none: then its whole span, in whole days.
  let to = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1));
  let from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 1, 1));
  const firstDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()));
  const fullMonth = firstDay <= from;
  if (!fullMonth) {
    from = firstDay;
    to = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate() + 1));
  }
  const period = { from, to, asOf: to };
  const window: Params = { from: from.toISOString(), to: to.toISOString() };

  const pick = async (sql: string, params: Params = window): Promise<string | null> => {
    // Every pick selects a VARCHAR column (a UPN or a request key).
    const row = await db.one<{ v: string | null }>(sql, params);
    return row?.v ?? null;
  };
  const inPeriod = (col: string) => `${col} >= $from::TIMESTAMPTZ AND ${col} < $to::TIMESTAMPTZ`;
  const principal =
    (await pick(
      `SELECT principal_upn AS v FROM pim_requests WHERE principal_upn IS NOT NULL AND ${inPeriod('requested_at')} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
    )) ??
    (await pick(
      'SELECT principal_upn AS v FROM pim_requests WHERE principal_upn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1',
      {},
    ));
  // An activation (with approval when there is one) in the period: both request_trace and elevation_activity take it.
  const request =
    (await pick(`SELECT a.request_key AS v FROM pim_activations a LEFT JOIN pim_requests r USING (request_key)
      WHERE ${inPeriod('a.activated_at')} ORDER BY coalesce(r.approval_required, false) DESC, coalesce(r.events, 0) DESC, a.request_key LIMIT 1`)) ??
    (await pick('SELECT request_key AS v FROM pim_activations ORDER BY activated_at DESC, request_key LIMIT 1', {}));
  const approver =
    (await pick(
      `SELECT approver_upn AS v FROM pim_approvals WHERE approver_upn IS NOT NULL AND ${inPeriod('decided_at')} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
    )) ??
    (await pick(
      'SELECT approver_upn AS v FROM pim_approvals WHERE approver_upn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1',
      {},
    ));
  const picks = { principal, role: 'Global Administrator', at: period.asOf.toISOString(), request, approver };
  const available: Record<string, unknown> = { ...configParams(config, period) };
  for (const [k, v] of Object.entries(picks)) if (v !== null) available[k] = v;

  const queries: {
    id: string;
    kind: string;
    seconds: number | null;
    rows: number | null;
    peakRssKB: number;
    error?: string;
  }[] = [];
  for (const q of allQueries().values()) {
    const params = pickParams(q.id, available);
    const q0 = performance.now();
    try {
      // Streamed and counted: the export feeds return every row of the store (millions at 10M), which
      // as JS objects would measure Node's heap rather than the query.
      const rows = await countQueryRows(db, q.id, params);
      queries.push({
        id: q.id,
        kind: kindOf(q.id),
        seconds: (performance.now() - q0) / 1000,
        rows,
        peakRssKB: process.resourceUsage().maxRSS,
      });
    } catch (err) {
      queries.push({
        id: q.id,
        kind: kindOf(q.id),
        seconds: null,
        rows: null,
        peakRssKB: process.resourceUsage().maxRSS,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    process.stderr.write(`  ${q.id}: ${queries.at(-1)!.seconds?.toFixed(3) ?? 'failed'} s\n`);
  }
  const spanDays = (last.getTime() - first.getTime()) / DAY_MS;
  console.log(
    JSON.stringify({
      openSeconds,
      events,
      dataStart: first.toISOString(),
      dataEnd: last.toISOString(),
      spanDays,
      recordsPerDay: spanDays > 0 ? events / spanDays : null,
      period: {
        from: from.toISOString(),
        to: to.toISOString(),
        asOf: period.asOf.toISOString(),
        kind: fullMonth ? 'last full month' : 'data span (no full month in the data)',
      },
      picks,
      queries,
      maxRSS: process.resourceUsage().maxRSS,
    }),
  );
} finally {
  db.close();
}
