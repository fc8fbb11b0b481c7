// Staging: landed files become audit_events rows (and quarantine rows) in manifest order, so the first
// copy of a record id wins as if read one by one: runs of clean files in batches (stage-batch.ts), other
// files two read at once and committed one at a time.
import type { Db } from '../core/db.js';
import { asPimopsError } from '../core/errors.js';
import type { LandingStore, ManifestEntry } from '../core/landing.js';
import { STAGED_FLAVORS, type Flavor } from './models.js';
import { timed } from '../core/profile.js';
import { loadSnapshot } from './snapshot.js';
import { quarantineStaged, readIntoStage, registerFile } from './stage-read.js';
import { BatchStager, type Batchable } from './stage-batch.js';

export interface StageCounts {
  records: number;
  new: number;
  duplicates: number;
  quarantined: number;
  /** Rows loaded into the state tables from snapshot responses (not audit records). */
  snapshotRows?: number;
}

/**
 * Which tenant a record belongs to when it does not say (a Graph record without a tid detail): the
 * tenant its file was pulled from or imported for (`import --tenant`), else the configured `tenant`,
 * else the store's only tenant. A store with several tenants refuses to guess (reason no_tenant).
 */
export class TenantPlacement {
  private readonly known: Set<string>;
  constructor(
    stored: string[],
    configured: string[] = [],
    private readonly implicit?: string,
  ) {
    this.known = new Set([...configured, ...stored].map((t) => t.toLowerCase()));
  }
  static async of(db: Db, configured: string[] = [], implicit?: string): Promise<TenantPlacement> {
    const rows = await db.all<{ t: string }>(
      'SELECT DISTINCT tenant_id AS t FROM audit_events WHERE tenant_id IS NOT NULL',
    );
    return new TenantPlacement(
      rows.map((r) => r.t),
      configured,
      implicit,
    );
  }
  fallback(e: ManifestEntry): string | null {
    if (e.tenantId) return e.tenantId.toLowerCase();
    if (this.implicit) return this.implicit;
    return this.known.size === 1 ? [...this.known][0] : null;
  }
  get several(): boolean {
    return this.known.size > 1;
  }
  get none(): boolean {
    return this.known.size === 0;
  }
  add(tenants: string[]): void {
    for (const t of tenants) this.known.add(t);
  }
  /** A copy to try a batch on; `adopt` takes its tenants once the batch is committed. */
  clone(): TenantPlacement {
    return new TenantPlacement([...this.known], [], this.implicit);
  }
  adopt(other: TenantPlacement): void {
    this.add([...other.known]);
  }
}

/** A landed file of audit records (not a snapshot, not refused at landing). */
function holdsAuditRecords(e: ManifestEntry): e is ManifestEntry & { flavor: Flavor } {
  return !e.rejectReason && e.flavor !== null && STAGED_FLAVORS.includes(e.flavor);
}

/** Reads one landed file into this connection's temp table `stage` (no transaction: may run beside another file's). */
async function prepareOne(db: Db, store: LandingStore, e: ManifestEntry): Promise<void> {
  if (holdsAuditRecords(e)) await readIntoStage(db, store.absolute(e), e);
}

/** Moves what prepareOne staged into audit_events and quarantine, with the manifest mark, atomically. */
async function commitOne(
  db: Db,
  store: LandingStore,
  e: ManifestEntry,
  placement: TenantPlacement,
): Promise<StageCounts> {
  if (e.flavor === 'snapshot' && !e.rejectReason) {
    return db.transaction(async () => {
      await registerFile(db, e);
      const rows = await loadSnapshot(db, store.absolute(e), e);
      await db.run(
        `UPDATE landing_files SET transformed_at = now(), new_records = 0, duplicates = 0, quarantined = 0 WHERE seq = $seq`,
        { seq: e.seq },
      );
      return { records: 0, new: 0, duplicates: 0, quarantined: 0, snapshotRows: rows };
    });
  }
  const refused = !holdsAuditRecords(e);
  return db.transaction(async () => {
    await registerFile(db, e);
    let counts: StageCounts;
    if (refused) {
      await db.run(`INSERT INTO quarantine VALUES ($file, $orig, NULL, $reason, $detail, NULL, now())`, {
        file: e.landedFile,
        orig: e.originalPath,
        reason: e.rejectReason ?? 'unrecognized',
        detail: e.rejectDetail ?? null,
      });
      counts = { records: 1, new: 0, duplicates: 0, quarantined: 1 };
    } else {
      counts = await timed(`insert ${e.seq}`, () => insertStaged(db, e, placement));
    }
    await db.run(
      `UPDATE landing_files SET transformed_at = now(), new_records = $n, duplicates = $d, quarantined = $q WHERE seq = $seq`,
      { n: counts.new, d: counts.duplicates, q: counts.quarantined, seq: e.seq },
    );
    return counts;
  });
}

/** Where a file's records came from, for the coverage start of activations older than the data:
 *  a Graph pull, Log Analytics, or a file someone imported (manifests before `source` was kept). */
export function sourceKind(e: ManifestEntry): 'graph' | 'log_analytics' | 'file' {
  return e.source === 'graph' || e.source === 'log_analytics' ? e.source : 'file';
}

/**
 * Two copies of one id are one record unless both name their tenant and the tenants differ: a copy
 * whose tenant is not known yet (a Graph record without tid staged before anything named the
 * tenant) is the same record as its enveloped copy, never a second one.
 */
const SAME_TENANT = (a: string, b: string) => `(${a} = ${b} OR ${a} IS NULL OR ${b} IS NULL)`;

async function insertStaged(db: Db, e: ManifestEntry, placement: TenantPlacement): Promise<StageCounts> {
  const tenant = placement.fallback(e);
  if (tenant === null && placement.several)
    await db.run(`UPDATE stage SET reject_reason = 'no_tenant' WHERE reject_reason IS NULL AND tenant_id IS NULL`);
  await quarantineStaged(db, e);
  const before = await db.one<{ n: bigint }>('SELECT count(*) AS n FROM audit_events');
  // One pass over the stored ids (the table only grows): the copies of ids already stored, with what
  // is needed to tell a repeat from a conflict. Everything after works on the file's own rows.
  await timed(`  seen ${e.seq}`, () =>
    db.run(
      `CREATE OR REPLACE TEMP TABLE stage_seen AS
    SELECT s.line_no, a.tenant_id, a.event_id, a.landing_file, a.landing_line, a.event_time, a.activity, a.result, a.result_reason,
           a.request_key, a.actor_id, a.principal_id, a.role_id
    FROM stage s JOIN audit_events a ON a.event_id = s.event_id
    WHERE s.reject_reason IS NULL AND ${SAME_TENANT('a.tenant_id', 'coalesce(s.tenant_id, $tenant)')}`,
      { tenant },
    ),
  );
  // Decide which lines to keep on narrow columns (ids and line numbers), then copy the wide rows once.
  await db.run(
    `CREATE OR REPLACE TEMP TABLE stage_keep AS
    SELECT line_no FROM stage s WHERE reject_reason IS NULL
      AND NOT EXISTS (SELECT 1 FROM stage_seen x WHERE x.line_no = s.line_no)
    QUALIFY row_number() OVER (PARTITION BY coalesce(tenant_id, $tenant), event_id ORDER BY line_no) = 1`,
    { tenant },
  );
  const all = await db.one<{ all: boolean }>(
    `SELECT (SELECT count(*) FROM stage_keep) = (SELECT count(*) FROM stage) AS "all"`,
  );
  await timed(`  copy ${e.seq}`, () =>
    db.run(
      `INSERT INTO audit_events
     SELECT event_id, coalesce(tenant_id, $tenant), event_time, activity, category, service, operation_type, audit_type, result, result_reason,
            correlation_id, request_key, actor_type, actor_id, actor_upn, actor_name, actor_app_id, actor_ip,
            role_id, role_name, principal_id, principal_upn, principal_name, principal_type, scope_id, details, targets,
            $shape, $file, line_no, now(), user_agent, actor_agent_type, principal_agent_type, via_group_id, via_group_name, $source_kind
     FROM stage ${all?.all ? '' : 'WHERE line_no IN (SELECT line_no FROM stage_keep)'}`,
      {
        shape: `${e.shape}:${e.flavor}`,
        file: e.landedFile,
        tenant,
        source_kind: sourceKind(e),
      },
    ),
  );
  // A copy of a stored id (stored before, or earlier in this file) whose content differs: keep the first, report the other.
  if (!all?.all) {
    await db.run(
      `INSERT INTO id_conflicts
    WITH firsts AS (
      SELECT * FROM stage_seen
      UNION ALL
      SELECT s.line_no, coalesce(s.tenant_id, $tenant), s.event_id, $file, s.line_no, s.event_time, s.activity, s.result, s.result_reason, s.request_key, s.actor_id, s.principal_id, s.role_id
      FROM stage s WHERE s.line_no IN (SELECT line_no FROM stage_keep)
    )
    SELECT a.event_id, a.landing_file, a.landing_line, $file, s.line_no,
      concat_ws(', ', CASE WHEN a.event_time IS DISTINCT FROM s.event_time THEN 'event_time' END, CASE WHEN a.activity IS DISTINCT FROM s.activity THEN 'activity' END,
        CASE WHEN a.result IS DISTINCT FROM s.result THEN 'result' END, CASE WHEN a.result_reason IS DISTINCT FROM s.result_reason THEN 'result_reason' END,
        CASE WHEN a.request_key IS DISTINCT FROM s.request_key THEN 'request_key' END, CASE WHEN a.actor_id IS DISTINCT FROM s.actor_id THEN 'actor_id' END,
        CASE WHEN a.principal_id IS DISTINCT FROM s.principal_id THEN 'principal_id' END, CASE WHEN a.role_id IS DISTINCT FROM s.role_id THEN 'role_id' END),
      now(), a.tenant_id
    FROM stage s JOIN (SELECT DISTINCT ON (tenant_id, event_id) * FROM firsts) a
      ON a.event_id = s.event_id AND ${SAME_TENANT('a.tenant_id', 'coalesce(s.tenant_id, $tenant)')}
    WHERE s.reject_reason IS NULL AND NOT (a.landing_file = $file AND a.landing_line = s.line_no)
      AND (a.event_time, a.activity, a.result, a.result_reason, a.request_key, a.actor_id, a.principal_id, a.role_id)
          IS DISTINCT FROM (s.event_time, s.activity, s.result, s.result_reason, s.request_key, s.actor_id, s.principal_id, s.role_id)`,
      { file: e.landedFile, tenant },
    );
  }
  const after = await db.one<{ n: bigint }>('SELECT count(*) AS n FROM audit_events');
  const fileTenants = (
    await db.all<{ t: string }>(
      `SELECT DISTINCT coalesce(tenant_id, $tenant) AS t FROM stage WHERE reject_reason IS NULL AND coalesce(tenant_id, $tenant) IS NOT NULL`,
      { tenant },
    )
  ).map((r) => r.t);
  placement.add(fileTenants);
  // An imported file's tenant is its records' own when they name one tenant (several: none).
  if (!e.tenantId && fileTenants.length === 1)
    await db.run('UPDATE landing_files SET tenant_id = $t WHERE seq = $seq', { t: fileTenants[0], seq: e.seq });
  const c = await db.one<{ total: bigint; rejected: bigint }>(
    'SELECT count(*) AS total, count(*) FILTER (WHERE reject_reason IS NOT NULL) AS rejected FROM stage',
  );
  await db.run(
    'DROP TABLE stage; DROP TABLE stage_keep; DROP TABLE stage_seen; DROP TABLE IF EXISTS stage_raw; DROP TABLE IF EXISTS stage_reject_lines; DROP TABLE IF EXISTS stage_rejects; DROP TABLE IF EXISTS stage_rejects_scan;',
  );
  const total = Number(c!.total);
  const rejected = Number(c!.rejected);
  const added = Number(after!.n - before!.n);
  return { records: total, new: added, duplicates: total - rejected - added, quarantined: rejected };
}

/** Files read at once, each on its own connection, when staged one by one (files the typed reader
 *  refuses or whose lines are not clean): a gzip file is read by one thread, so a second file keeps the
 *  second core busy. Commits still go one by one in manifest order. */
const READERS = 2;

/** While files are still landing, a batch waits until this many records are landed (two row groups:
 *  an insert of fewer goes through the WAL at commit) or landing is done. */
const MIN_BATCH_RECORDS = 250_000;

/** Files still landing while staging runs: `next` resolves when one more is landed or landing ends. */
export interface Incoming {
  readonly finished: boolean;
  next(): Promise<void>;
}

type Account = (e: ManifestEntry, c: StageCounts) => void;

/**
 * `batches: false` stages every file one by one, the way batches must agree with (tests compare the
 * two). `batchRecords`: a batch (one insert, one transaction) holds at most this many records; two
 * are staged at once, and their memory is DuckDB's to bound (tests make it small to run many).
 */
export const staging = { batches: true, batchRecords: 500_000 };

/** Files with clean lines of one flavor are staged together; everything else file by file. */
function batchable(e: ManifestEntry): e is Batchable {
  return staging.batches && holdsAuditRecords(e) && e.cleanLines;
}

/**
 * Stages every landed file the database has not seen yet, committing in manifest order: runs of
 * clean files as batches (stage-batch.ts), other files one by one. With `incoming`, files land while
 * this runs, and it stages what has landed until landing is done.
 */
export async function stageNew(
  db: Db,
  store: LandingStore,
  onFile?: (e: ManifestEntry, c: StageCounts) => void,
  tenants: { configured?: string[]; implicit?: string } = {},
  incoming?: Incoming,
): Promise<StageCounts> {
  const done = new Set(
    (await db.all<{ seq: number }>('SELECT seq FROM landing_files WHERE transformed_at IS NOT NULL')).map((r) =>
      Number(r.seq),
    ),
  );
  const total: StageCounts = { records: 0, new: 0, duplicates: 0, quarantined: 0 };
  const pruned = store.pruned();
  const account: Account = (e, c) => {
    done.add(e.seq);
    total.records += c.records;
    total.new += c.new;
    total.duplicates += c.duplicates;
    total.quarantined += c.quarantined;
    if (c.snapshotRows) total.snapshotRows = (total.snapshotRows ?? 0) + c.snapshotRows;
    onFile?.(e, c);
  };
  const taken = new Set<number>();
  let placement: TenantPlacement | undefined;
  let stager: BatchStager | undefined;
  let learnt = false;
  try {
    for (;;) {
      const pending = store.manifest().filter((e) => !done.has(e.seq) && !taken.has(e.seq) && !pruned.has(e.seq));
      if (pending.length === 0) {
        if (!incoming || incoming.finished) break;
        await incoming.next();
        continue;
      }
      placement ??= await TenantPlacement.of(db, tenants.configured, tenants.implicit);
      const p = placement;
      stager ??= new BatchStager(db, store, p, sourceKind, account, (conn, files) =>
        stageEach(conn, store, files, p, account),
      );
      const first = pending[0];
      if (batchable(first)) {
        const run: Batchable[] = [first];
        let records = first.records;
        // A store of no tenant yet: the first file alone, so the files after it are inserted with the tenant
        // it names (one by one, a file's records that name none take it) instead of updated to it after.
        const alone = !learnt && p.none && p.fallback(first) === null;
        learnt = true;
        for (const e of alone ? [] : pending.slice(1)) {
          if (!batchable(e) || e.flavor !== first.flavor || records + e.records > staging.batchRecords) break;
          run.push(e);
          records += e.records;
        }
        if (
          !alone &&
          incoming &&
          !incoming.finished &&
          run.length === pending.length &&
          records < Math.min(MIN_BATCH_RECORDS, staging.batchRecords)
        ) {
          await incoming.next();
          continue;
        }
        for (const e of run) taken.add(e.seq);
        await stager.dispatch(run, (e) => p.fallback(e));
        if (alone) await stager.drain();
      } else {
        // One by one after every batch before has committed.
        await stager.drain();
        const end = pending.findIndex((e) => batchable(e));
        await stageEach(db, store, end < 0 ? pending : pending.slice(0, end), p, account);
      }
    }
    await stager?.drain(true);
  } finally {
    // A failure leaves batches after it to roll back: wait for them before the connections close.
    await stager?.drain().catch(() => undefined);
    stager?.close();
  }
  return total;
}

/** Stages files one by one, READERS read at once, committed in manifest order. */
async function stageEach(
  db: Db,
  store: LandingStore,
  pending: ManifestEntry[],
  placement: TenantPlacement,
  account: Account,
): Promise<void> {
  const connections = [db];
  for (let i = 1; i < Math.min(READERS, pending.length); i++) connections.push(await db.fork());
  // A file commits only after every file before it: the first copy of an id is the one in the earlier
  // file. When a file fails, the files before it still commit and none after it does, as one by one.
  let turn = 0;
  let failedAt = Infinity;
  let failure: unknown;
  const waiting = new Map<number, () => void>();
  const myTurn = (i: number) =>
    i === turn || i > failedAt ? Promise.resolve() : new Promise<void>((r) => waiting.set(i, r));
  const pass = () => {
    turn++;
    waiting.get(turn)?.();
    waiting.delete(turn);
  };
  let next = 0;
  try {
    await Promise.all(
      connections.map(async (conn) => {
        while (next < pending.length && next < failedAt) {
          const i = next++;
          const e = pending[i];
          try {
            await prepareOne(conn, store, e);
            await myTurn(i);
            if (i > failedAt) return;
            account(e, await commitOne(conn, store, e, placement));
            pass();
          } catch (err) {
            if (i < failedAt) [failedAt, failure] = [i, err];
            for (const [j, wake] of waiting) if (j > failedAt) wake();
            return;
          }
        }
      }),
    );
  } finally {
    for (const c of connections.slice(1)) c.close();
  }
  // Whatever the failing file threw, as an Error (a non-Error is wrapped, never thrown bare).
  if (failure !== undefined) throw failure instanceof Error ? failure : asPimopsError(failure);
}
