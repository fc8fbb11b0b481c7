// Composition of the stages for the CLI (and for hosts that import pimops as a library).
import { resolve } from 'node:path';
import { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { configFor, landingDirFor } from '../core/config.js';
import { applyTenant, findTenant, scopeToTenant, storeTenants, type StoreTenant } from '../core/tenants.js';
import { LandingStore } from '../core/landing.js';
import { fileSource } from '../ingest/files/index.js';
import { transform, rebuild, ensureSchema, type StageCounts } from '../transform/index.js';

export interface ImportSummary {
  files: number;
  records: number;
  new: number;
  duplicates: number;
  quarantined: number;
  conflicts?: number;
}

export async function withDb<T>(dbPath: string, config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.open(dbPath, { memoryLimit: config.storage.memoryLimit });
  try {
    await ensureSchema(db);
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Readers (metrics, checks, reports, exports that write no state) open read-only: they never block
 *  an import's lock for longer than they read, and cannot change the store by mistake. */
export async function withReadOnlyDb<T>(dbPath: string, config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.openReadOnly(dbPath, { memoryLimit: config.storage.memoryLimit });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** A reader that answers for one tenant (`--tenant`, else the store's only one), with that tenant's configuration. */
export async function withTenantDb<T>(
  dbPath: string,
  config: Config,
  wanted: string | undefined,
  fn: (db: Db, config: Config, tenant?: StoreTenant) => Promise<T>,
): Promise<T> {
  return withReadOnlyDb(dbPath, config, async (db) => {
    const scoped = await applyTenant(db, config, wanted);
    return fn(db, scoped.config, scoped.tenant);
  });
}

/** A reader that answers for every tenant in turn (`--all-tenants`), each scoped and with its own configuration. */
export async function forEachTenant<T>(
  dbPath: string,
  config: Config,
  fn: (db: Db, config: Config, tenant: StoreTenant) => Promise<T>,
): Promise<{ tenant: StoreTenant; result: T }[]> {
  return withReadOnlyDb(dbPath, config, async (db) => {
    const out: { tenant: StoreTenant; result: T }[] = [];
    for (const tenant of await storeTenants(db, config)) {
      await scopeToTenant(db, tenant.id);
      out.push({ tenant, result: await fn(db, configFor(config, tenant.id), tenant) });
    }
    return out;
  });
}

export function landingStore(dbPath: string, config: Config): LandingStore {
  return new LandingStore(landingDirFor(resolve(dbPath), config));
}

/**
 * Lands the files, then transforms. Files already landed (same bytes) are counted from what the
 * database recorded for them, so a re-import reports them as duplicates and changes nothing.
 */
export async function importPaths(
  dbPath: string,
  config: Config,
  paths: string[],
  progress?: (m: string) => void,
  tenant?: string,
): Promise<ImportSummary> {
  const store = landingStore(dbPath, config);
  // Open the database first: its lock keeps two imports from landing into one store at once.
  return withDb(dbPath, config, async (db) => {
    const tenantId = tenant ? findTenant(await storeTenants(db, config), tenant, { anyGuid: true }).id : undefined;
    // Landing and staging overlap: a file is staged (in batches) while the next ones land.
    let finished = false;
    let wake: (() => void) | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    const incoming = {
      get finished() {
        return finished;
      },
      next: () => new Promise<void>((r) => (wake = r)),
    };
    const landing = fileSource.land(store, { paths, tenantId, onLanded: signal }, progress).finally(() => {
      finished = true;
      signal();
    });
    const transformedNow = new Set<number>();
    const transforming = transform(
      db,
      store,
      config,
      (e, c) => {
        transformedNow.add(e.seq);
        progress?.(
          `transformed ${e.originalPath}: ${c.new} new, ${c.duplicates} duplicates, ${c.quarantined} quarantined`,
        );
      },
      false,
      incoming,
    );
    // Both run to their end before either's failure is thrown: no landing left writing after we return.
    const [landed, transformed] = await Promise.allSettled([landing, transforming]);
    if (landed.status === 'rejected') throw landed.reason;
    if (transformed.status === 'rejected') throw transformed.reason;
    const batch = landed.value;
    const counts = transformed.value;
    const summary: ImportSummary = {
      files: batch.offered.length,
      records: counts.records,
      new: counts.new,
      duplicates: counts.duplicates,
      quarantined: counts.quarantined,
    };
    // Files offered again: every record in them is already stored (or was quarantined before).
    const counted = new Set<number>();
    for (const e of batch.offered) {
      const firstOfThisRun = transformedNow.has(e.seq) && !counted.has(e.seq);
      counted.add(e.seq);
      if (firstOfThisRun) continue;
      const row = await db.one<{ new_records: bigint | null; duplicates: bigint | null; quarantined: bigint | null }>(
        'SELECT new_records, duplicates, quarantined FROM landing_files WHERE seq = $seq',
        { seq: e.seq },
      );
      const q = Number(row?.quarantined ?? 0);
      const stored = Number(row?.new_records ?? 0) + Number(row?.duplicates ?? 0);
      summary.records += stored + q;
      summary.duplicates += stored;
      summary.quarantined += q;
    }
    // Same id, different content: reported (the first copy in manifest order is kept).
    const conflicts = await db.one<{ n: bigint }>(
      'SELECT count(*) AS n FROM id_conflicts WHERE other_file IN (SELECT landed_file FROM landing_files WHERE seq IN (SELECT unnest($seqs::INTEGER[])))',
      { seqs: `[${[...transformedNow].join(',')}]` },
    );
    if (conflicts && conflicts.n > 0n) summary.conflicts = Number(conflicts.n);
    return summary;
  });
}

export async function transformPending(dbPath: string, config: Config): Promise<StageCounts> {
  return withDb(dbPath, config, (db) => transform(db, landingStore(dbPath, config), config, undefined, true));
}

export async function rebuildAll(dbPath: string, config: Config): Promise<StageCounts & { prunedFiles: number }> {
  return withDb(dbPath, config, (db) => rebuild(db, landingStore(dbPath, config), config));
}

/** Retention: deletes landed files past storage.retainLandingDays and says what a rebuild can no longer reproduce. */
export async function pruneLanding(
  dbPath: string,
  config: Config,
  now = new Date(),
): Promise<{ files: number; records: number; from: string | null; to: string | null }> {
  const days = config.storage.retainLandingDays;
  if (!days) return { files: 0, records: 0, from: null, to: null };
  const store = landingStore(dbPath, config);
  return withDb(dbPath, config, async (db) => {
    // Only files already in the database: a file not yet transformed would be lost outright.
    const transformed = new Set(
      (await db.all<{ seq: number }>('SELECT seq FROM landing_files WHERE transformed_at IS NOT NULL')).map((r) =>
        Number(r.seq),
      ),
    );
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    const candidates = store.manifest().filter((e) => transformed.has(e.seq) && new Date(e.landedAt) < cutoff);
    if (!candidates.length) return { files: 0, records: 0, from: null, to: null };
    const span = await db.one<{ lo: Date | null; hi: Date | null; n: bigint }>(
      `SELECT min(event_time) AS lo, max(event_time) AS hi, count(*) AS n FROM audit_events WHERE landing_file IN (SELECT unnest($files::VARCHAR[]))`,
      { files: JSON.stringify(candidates.map((e) => e.landedFile)) },
    );
    const pruned = store.prune(new Date(Math.max(...candidates.map((e) => Date.parse(e.landedAt))) + 1));
    return {
      files: pruned.length,
      records: Number(span?.n ?? 0),
      from: span?.lo?.toISOString() ?? null,
      to: span?.hi?.toISOString() ?? null,
    };
  });
}
