// Staging a run of landed files at once: one typed read of all of them, inserted straight into
// audit_events in one transaction, then what must not stay (refused lines, records of no tenant, later
// copies of an id) taken out file by file in manifest order, exactly as staging them one by one would.
// One write of the data instead of a temp table and a copy of it, and an insert of many row groups,
// which DuckDB writes to the database file as it goes instead of through the WAL at commit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../core/db.js';
import { sqlString } from '../core/db.js';
import type { LandingStore, ManifestEntry } from '../core/landing.js';
import { timed } from '../core/profile.js';
import { asPimopsError } from '../core/errors.js';
import type { Flavor } from './models.js';
import {
  FILE_LINES,
  REASON_TEXT,
  attachRawLines,
  batchSource,
  quarantineStaged,
  registerFile,
  stageSql,
  stagedSelect,
  typedSource,
} from './stage-read.js';
import type { StageCounts, TenantPlacement } from './stage.js';

export type Batchable = ManifestEntry & { flavor: Flavor };

/** The columns audit_events takes from a staged row, in the table's order. */
const EVENT_COLUMNS = `event_id, tenant_id, event_time, activity, category, service, operation_type, audit_type, result, result_reason,
  correlation_id, request_key, actor_type, actor_id, actor_upn, actor_name, actor_app_id, actor_ip,
  role_id, role_name, principal_id, principal_upn, principal_name, principal_type, scope_id, details, targets,
  source_shape, landing_file, landing_line, ingested_at, user_agent, actor_agent_type, principal_agent_type, via_group_id, via_group_name, source_kind`;

/** A list literal of strings (NULL for a missing one), indexed by a file's position in the batch. */
const listSql = (values: (string | null)[]) =>
  `([${values.map((v) => (v === null ? 'NULL' : sqlString(v))).join(', ')}]::VARCHAR[])`;

/** Two copies of one id are one record unless both name their tenant and the tenants differ. */
const SAME_TENANT = (a: string, b: string) => `(${a} = ${b} OR ${a} IS NULL OR ${b} IS NULL)`;

/** What a later copy of an id is checked against: the copy kept, and the columns compared. */
const KEPT_COLUMNS_OF = (compared: readonly string[]) =>
  `tenant_id, event_id, landing_file, landing_line, ${compared.join(', ')}`;

/** The columns two copies of an id are compared on (id_conflicts.differs names those that differ). */
const COMPARED = [
  'event_time',
  'activity',
  'result',
  'result_reason',
  'request_key',
  'actor_id',
  'principal_id',
  'role_id',
] as const;
const KEPT_COLUMNS = KEPT_COLUMNS_OF(COMPARED);

/** A batch inserted in its own open transaction on `db`, waiting for its turn to be finished. */
interface Prepared {
  db: Db;
  files: Batchable[];
  label: string;
  /** The tenant each file's records were inserted with when they name none (null: none). */
  before: (string | null)[];
  inserted: number[];
  rejected: number[];
  named: Set<string>[];
  untenanted: boolean[];
}

/**
 * Opens a transaction on `db` and inserts `files` (consecutive in manifest order, every one with
 * clean lines, one flavor) with their refused lines quarantined. Returns null, rolled back, when they
 * must be staged one by one instead: DuckDB refused a line (the line path names it) or a file's rows
 * are not what the landing scan counted.
 */
async function prepareBatch(
  db: Db,
  store: LandingStore,
  files: Batchable[],
  before: (string | null)[],
  sourceKind: (e: ManifestEntry) => string,
): Promise<Prepared | null> {
  const flavor = files[0].flavor;
  const label = `batch ${files[0].seq}..${files.at(-1)!.seq}`;
  const landed = files.map((e) => e.landedFile);
  await db.run('BEGIN TRANSACTION');
  let open = true;
  try {
    for (const e of files) await registerFile(db, e);
    try {
      await timed(`${label} insert`, () =>
        db.run(
          `INSERT INTO audit_events (${EVENT_COLUMNS})
           SELECT event_id, coalesce(tenant_id, ${listSql(before)}[fi]), event_time, activity, category, service, operation_type, audit_type, result, result_reason,
             correlation_id, request_key, actor_type, actor_id, actor_upn, actor_name, actor_app_id, actor_ip,
             role_id, role_name, principal_id, principal_upn, principal_name, principal_type, scope_id, details, targets,
             ${listSql(files.map((e) => `${e.shape}:${e.flavor}`))}[fi], ${listSql(landed)}[fi], line_no % ${FILE_LINES}, now(),
             user_agent, actor_agent_type, principal_agent_type, via_group_id, via_group_name, ${listSql(files.map(sourceKind))}[fi]
           FROM (SELECT *, line_no // ${FILE_LINES} + 1 AS fi FROM (${stagedSelect(
             batchSource(
               files.map((e) => store.absolute(e)),
               files.map((e) => e.records),
               flavor,
             ),
             flavor,
           )}))
           WHERE reject_reason IS NULL`,
        ),
      );
    } catch {
      // A line the typed reader refuses: each file on its own, the refusing one line by line.
      return null;
    }
    await db.run(
      `CREATE OR REPLACE TEMP TABLE batch_files AS SELECT * FROM (VALUES ${landed
        .map((f, i) => `(${sqlString(f)}, ${i + 1})`)
        .join(', ')}) t(landing_file, k)`,
    );
    const rows = await db.all<{ f: string; t: string | null; n: bigint }>(
      `SELECT landing_file AS f, tenant_id AS t, count(*) AS n FROM audit_events
       WHERE landing_file IN (SELECT landing_file FROM batch_files) GROUP BY ALL`,
    );
    const inserted = files.map(() => 0);
    const named = files.map(() => new Set<string>());
    const untenanted = files.map(() => false);
    for (const r of rows) {
      const k = landed.indexOf(r.f);
      inserted[k] += Number(r.n);
      if (r.t === null) untenanted[k] = true;
      else named[k].add(r.t);
    }

    // Refused lines: the typed read of a file gave fewer good rows than it has lines. Read that file
    // again for them alone (rare), with what each line held.
    const rejected = files.map(() => 0);
    for (const [k, e] of files.entries()) {
      if (inserted[k] === e.records) continue;
      const file = store.absolute(e);
      await db.run(stageSql(typedSource(file, flavor), flavor, 'reject_reason IS NOT NULL'));
      await attachRawLines(db, file);
      await quarantineStaged(db, e);
      rejected[k] = Number((await db.one<{ n: bigint }>('SELECT count(*) AS n FROM stage'))!.n);
      await db.run('DROP TABLE stage');
      if (inserted[k] + rejected[k] !== e.records) return null; // not what the landing scan counted: one by one
    }
    open = false;
    return { db, files, label, before, inserted, rejected, named, untenanted };
  } finally {
    if (open) await db.run('ROLLBACK').catch(() => undefined);
  }
}

/**
 * Finishes a prepared batch once every batch before it has committed: places its tenants as one by one
 * would, drops later copies of ids (`published`: the rows of batches committed since this one began,
 * which its transaction cannot see), marks its files and commits; with `publish`, first writes its
 * rows' keys there for the batches after it. Returns each file's counts, or null (rolled back) when the
 * batch named a tenant that disproves the one its records were inserted with.
 */
async function finishBatch(
  p: Prepared,
  placement: TenantPlacement,
  published: string[],
  publish: string | undefined,
): Promise<StageCounts[] | null> {
  const { db, files, label, before, inserted, rejected, named, untenanted } = p;
  let committed = false;
  try {
    // Tenants, file by file as staging them one by one would place them: a file's records that name
    // no tenant take the one its predecessors leave known (the store's only one), or none when the
    // store then holds several (quarantined, no_tenant).
    const sim = placement.clone();
    const noTenant = files.map(() => 0);
    const tenants: Set<string>[] = [];
    for (const [k, e] of files.entries()) {
      const fallback = sim.fallback(e);
      if (before[k] !== null && fallback !== before[k]) return null; // placed by a guess the batch disproved
      if (untenanted[k] && fallback === null && sim.several) {
        noTenant[k] = Number(
          (await db.one<{ n: bigint }>(
            `SELECT count(*) AS n FROM audit_events WHERE landing_file = $f AND tenant_id IS NULL`,
            { f: e.landedFile },
          ))!.n,
        );
        await db.run(
          `INSERT INTO quarantine
           SELECT landing_file, $orig, landing_line, 'no_tenant', $text,
                  left(concat_ws(' ', 'id=' || event_id, 'activity=' || activity, 'time=' || event_time::VARCHAR), 500), now()
           FROM audit_events WHERE landing_file = $f AND tenant_id IS NULL`,
          { f: e.landedFile, orig: e.originalPath, text: REASON_TEXT.no_tenant },
        );
        await db.run(`DELETE FROM audit_events WHERE landing_file = $f AND tenant_id IS NULL`, { f: e.landedFile });
      } else if (untenanted[k] && fallback !== null) {
        await db.run(`UPDATE audit_events SET tenant_id = $t WHERE landing_file = $f AND tenant_id IS NULL`, {
          t: fallback,
          f: e.landedFile,
        });
        named[k].add(fallback);
      }
      tenants.push(named[k]);
      sim.add([...named[k]]);
    }

    const dropped = await timed(`${label} dedup`, () => dropLaterCopies(db, files, published));

    for (const [k, e] of files.entries()) {
      // An imported file's tenant is its records' own when they name one tenant (several: none).
      const fileTenant = !e.tenantId && tenants[k].size === 1 ? [...tenants[k]][0] : null;
      await db.run(
        `UPDATE landing_files SET transformed_at = now(), new_records = $n, duplicates = $d, quarantined = $q,
           tenant_id = coalesce($t, tenant_id) WHERE seq = $seq`,
        {
          n: inserted[k] - noTenant[k] - dropped[k],
          d: dropped[k],
          q: rejected[k] + noTenant[k],
          t: fileTenant,
          seq: e.seq,
        },
      );
    }
    if (publish)
      await db.run(
        `COPY (SELECT ${KEPT_COLUMNS} FROM audit_events WHERE landing_file IN (SELECT landing_file FROM batch_files))
         TO ${sqlString(publish)} (FORMAT parquet)`,
      );
    await db.run('DROP TABLE batch_files');
    await timed(`${label} commit`, () => db.run('COMMIT'));
    committed = true;
    placement.adopt(sim);
    return files.map((e, k) => ({
      records: e.records,
      new: inserted[k] - noTenant[k] - dropped[k],
      duplicates: dropped[k],
      quarantined: rejected[k] + noTenant[k],
    }));
  } finally {
    if (!committed) await db.run('ROLLBACK').catch(() => undefined);
  }
}

/** Batches staged at once, each on its own connection: a batch's insert reads in one thread (line
 *  numbers), so a second one keeps the second core busy. */
const CONCURRENT = 2;

/**
 * Runs batches in manifest order, CONCURRENT at once, each in its own transaction on its own
 * connection; each finishes and commits only after every batch before it did, so the first copy of an
 * id wins exactly as one by one. A batch's transaction cannot see the rows of batches that committed
 * after it began: those publish their rows' keys to a scratch Parquet file it reads instead.
 */
export class BatchStager {
  private readonly idle: Db[] = [];
  private readonly waitingForConnection: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();
  private opened = 1;
  private dispatched = 0;
  private turn = 0;
  private readonly turns = new Map<number, () => void>();
  private commits = 0;
  /** Per batch index: the commit number it got and the file its keys were published to. */
  private readonly committed = new Map<number, { at: number; file?: string }>();
  /** The first failure in manifest order (the lowest batch index): batches before it still commit. */
  private failure: unknown;
  private failedAt = Infinity;
  private scratch: string | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: LandingStore,
    private readonly placement: TenantPlacement,
    private readonly sourceKind: (e: ManifestEntry) => string,
    private readonly account: (e: ManifestEntry, c: StageCounts) => void,
    private readonly oneByOne: (db: Db, files: ManifestEntry[]) => Promise<void>,
  ) {
    this.idle.push(db);
  }

  /** Starts a batch as soon as a connection is free; `before` is computed then, from what has committed. */
  async dispatch(files: Batchable[], before: (e: Batchable, i: number) => string | null): Promise<void> {
    this.throwIfFailed();
    const db = await this.connection();
    const i = this.dispatched++;
    const run = this.run(db, i, files, files.map(before)).then(
      () => undefined,
      (err: unknown) => this.fail(i, err),
    );
    const tracked = run.finally(() => {
      this.running.delete(tracked);
      this.release(db);
    });
    this.running.add(tracked);
  }

  /** No more batches will be dispatched: the last one need not publish its keys. */
  private last = false;

  /** Waits for every dispatched batch; throws the first failure. With `last`, no more are coming. */
  async drain(last = false): Promise<void> {
    this.last ||= last;
    while (this.running.size) await Promise.all([...this.running]);
    this.throwIfFailed();
  }

  close(): void {
    for (const c of this.idle) if (c !== this.db) c.close();
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }

  private fail(i: number, err: unknown): void {
    if (i < this.failedAt) [this.failedAt, this.failure] = [i, err];
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure instanceof Error ? this.failure : asPimopsError(this.failure);
  }

  private async connection(): Promise<Db> {
    if (this.idle.length) return this.idle.pop()!;
    if (this.opened < CONCURRENT) {
      this.opened++;
      return this.db.fork();
    }
    await new Promise<void>((r) => this.waitingForConnection.push(r));
    return this.idle.pop()!;
  }

  private release(db: Db): void {
    this.idle.push(db);
    this.waitingForConnection.shift()?.();
  }

  private myTurn(i: number): Promise<void> {
    return i === this.turn ? Promise.resolve() : new Promise<void>((r) => this.turns.set(i, r));
  }

  private pass(): void {
    this.turn++;
    this.turns.get(this.turn)?.();
    this.turns.delete(this.turn);
  }

  private async run(db: Db, i: number, files: Batchable[], before: (string | null)[]): Promise<void> {
    const began = this.commits;
    let prepared: Prepared | null = null;
    try {
      prepared = await prepareBatch(db, this.store, files, before, this.sourceKind).catch((err: unknown) => {
        this.fail(i, err);
        return null;
      });
      await this.myTurn(i);
      // Nothing at or after a failure commits; the batches before it do, as one by one (a later batch
      // failing first, while this one is still reading, does not undo this one).
      if (this.failedAt <= i) {
        if (prepared) await db.run('ROLLBACK').catch(() => undefined);
        return;
      }
      let counts: StageCounts[] | null = null;
      if (prepared) {
        const published = [...this.committed.values()].filter((c) => c.at > began && c.file).map((c) => c.file!);
        const publish = this.mayFollow(i) ? this.scratchFile(i) : undefined;
        counts = await finishBatch(prepared, this.placement, published, publish);
        if (counts) this.committed.set(i, { at: ++this.commits, file: publish });
      }
      if (counts) files.forEach((e, k) => this.account(e, counts[k]));
      else {
        await this.oneByOne(db, files);
        // Committed one by one, keys not published: a batch begun before cannot see these rows.
        if (this.mayFollow(i)) {
          const file = this.scratchFile(i);
          await db.run(
            `COPY (SELECT ${KEPT_COLUMNS} FROM audit_events WHERE landing_file IN (${files
              .map((e) => sqlString(e.landedFile))
              .join(', ')})) TO ${sqlString(file)} (FORMAT parquet)`,
          );
          this.committed.set(i, { at: ++this.commits, file });
        } else this.committed.set(i, { at: ++this.commits });
      }
    } catch (err) {
      this.fail(i, err);
    } finally {
      this.pass();
      // A batch begins once the one CONCURRENT before it has finished, so only the batches between
      // read what this one's predecessor published: with this one done, nothing reads that file again.
      const done = i - (CONCURRENT - 1);
      if (this.scratch && done >= 0) rmSync(join(this.scratch, `batch-${done}.parquet`), { force: true });
    }
  }

  /** Whether a batch after `i` may begin before `i` commits (then it cannot see i's rows: i publishes them). */
  private mayFollow(i: number): boolean {
    return this.dispatched > i + 1 || !this.last;
  }

  private scratchFile(i: number): string {
    this.scratch ??= mkdtempSync(join(tmpdir(), 'pimops-stage-'));
    return join(this.scratch, `batch-${i}.parquet`);
  }
}

/**
 * The first copy of an id wins in manifest order: a copy in a batch file is dropped when a copy stored
 * before it (an earlier file, in this batch or before) names the same tenant or none, or when the
 * file holds it on an earlier line. Copies whose content differs from the kept one go to id_conflicts.
 * Only ids stored more than once are looked at (usually none). Returns the copies dropped per file.
 */
async function dropLaterCopies(db: Db, files: Batchable[], published: string[]): Promise<number[]> {
  const cols = KEPT_COLUMNS;
  // Stored before this batch: what its transaction sees, and what batches committed since published.
  const prior = published.length
    ? `(SELECT NULL::BIGINT AS rid, ${cols} FROM read_parquet([${published.map(sqlString).join(', ')}]))`
    : `(SELECT NULL::BIGINT AS rid, ${cols} FROM audit_events WHERE false)`;
  await db.run(
    `CREATE OR REPLACE TEMP TABLE batch_copies AS
     WITH fresh AS (SELECT event_id FROM audit_events WHERE landing_file IN (SELECT landing_file FROM batch_files)),
     repeated AS (
       SELECT event_id FROM fresh GROUP BY event_id HAVING count(*) > 1
       UNION
       SELECT event_id FROM audit_events
       WHERE landing_file NOT IN (SELECT landing_file FROM batch_files) AND event_id IN (SELECT event_id FROM fresh)
       UNION
       SELECT event_id FROM ${prior} WHERE event_id IN (SELECT event_id FROM fresh)
     )
     SELECT a.rowid AS rid, coalesce(f.k, 0) AS k, false AS dropped, ${cols.replace(/(\w+)/g, 'a.$1')}
     FROM audit_events a LEFT JOIN batch_files f ON f.landing_file = a.landing_file
     WHERE a.event_id IN (SELECT event_id FROM repeated)
     UNION ALL
     SELECT rid, 0, false, ${cols} FROM ${prior} WHERE event_id IN (SELECT event_id FROM repeated)`,
  );
  const ks = (await db.all<{ k: number }>('SELECT DISTINCT k FROM batch_copies WHERE k > 0 ORDER BY k')).map((r) =>
    Number(r.k),
  );
  const dropped = files.map(() => 0);
  for (const k of ks) {
    const file = files[k - 1].landedFile;
    // Copies stored before this file (earlier files, kept), with what the conflict check compares.
    await db.run(
      `CREATE OR REPLACE TEMP TABLE batch_seen AS
       SELECT s.landing_line AS line_no, ${cols.replace(/(\w+)/g, 'a.$1')}
       FROM batch_copies s JOIN batch_copies a
         ON a.event_id = s.event_id AND a.k < s.k AND NOT a.dropped AND ${SAME_TENANT('a.tenant_id', 's.tenant_id')}
       WHERE s.k = $k`,
      { k },
    );
    await db.run(
      `UPDATE batch_copies SET dropped = true WHERE k = $k AND landing_line NOT IN (
         SELECT landing_line FROM batch_copies WHERE k = $k AND landing_line NOT IN (SELECT line_no FROM batch_seen)
         QUALIFY row_number() OVER (PARTITION BY tenant_id, event_id ORDER BY landing_line) = 1)`,
      { k },
    );
    const n = Number(
      (await db.one<{ n: bigint }>('SELECT count(*) AS n FROM batch_copies WHERE k = $k AND dropped', { k }))!.n,
    );
    dropped[k - 1] = n;
    if (n === 0) continue;
    const differs = COMPARED.map((c) => `CASE WHEN a.${c} IS DISTINCT FROM s.${c} THEN '${c}' END`).join(', ');
    await db.run(
      `INSERT INTO id_conflicts
       WITH firsts AS (
         SELECT * FROM batch_seen
         UNION ALL
         SELECT landing_line, ${cols} FROM batch_copies WHERE k = $k AND NOT dropped
       )
       SELECT a.event_id, a.landing_file, a.landing_line, $file, s.landing_line, concat_ws(', ', ${differs}), now(), a.tenant_id
       FROM batch_copies s JOIN (SELECT DISTINCT ON (tenant_id, event_id) * FROM firsts) a
         ON a.event_id = s.event_id AND ${SAME_TENANT('a.tenant_id', 's.tenant_id')}
       WHERE s.k = $k AND NOT (a.landing_file = $file AND a.landing_line = s.landing_line)
         AND (${COMPARED.map((c) => `a.${c}`).join(', ')}) IS DISTINCT FROM (${COMPARED.map((c) => `s.${c}`).join(', ')})`,
      { k, file },
    );
  }
  if (ks.length) await db.run('DELETE FROM audit_events WHERE rowid IN (SELECT rid FROM batch_copies WHERE dropped)');
  await db.run('DROP TABLE IF EXISTS batch_copies; DROP TABLE IF EXISTS batch_seen');
  return dropped;
}
