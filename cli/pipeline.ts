// Composition of the stages for the CLI (and for hosts that import pimops as a library).
import { resolve } from 'node:path';
import { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { configFor, landingDirFor } from '../core/config.js';
import { applyTenant, findTenant, scopeToTenant, storeTenants, type StoreTenant } from '../core/tenants.js';
import { LandingStore } from '../core/landing.js';
import { classifyGaps } from '../core/gaps.js';
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
    const batch = await fileSource.land(store, { paths, tenantId }, progress);
    const transformedNow = new Set<number>();
    const counts = await transform(db, store, config, (e, c) => {
      transformedNow.add(e.seq);
      progress?.(
        `transformed ${e.originalPath}: ${c.new} new, ${c.duplicates} duplicates, ${c.quarantined} quarantined`,
      );
    });
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

import { createCredential, pullTenant } from '../core/azure.js';
import { createGraphClient, type ClientEvents } from '../ingest/graph/client.js';
import { pullDirectoryAudits, type PageEvent, type PullResult } from '../ingest/graph/audits.js';
import { pullBreakGlassSignIns } from '../ingest/graph/sign-ins.js';

/** Pulls Graph directoryAudits into the landing store, then transforms what is new. */
export async function ingestGraph(
  dbPath: string,
  config: Config,
  opts: { since?: Date; until?: Date; now?: Date },
  hooks: { onPage?: (e: PageEvent) => void } & ClientEvents = {},
): Promise<PullResult & { signIns: number; transformed: StageCounts }> {
  const credential = createCredential(config);
  const client = createGraphClient(config, credential, hooks);
  const store = landingStore(dbPath, config);
  return withDb(dbPath, config, async (db) => {
    const pulled = await pullDirectoryAudits(client, store, config, { ...opts, tenantId: pullTenant() }, hooks.onPage);
    const signIns = config.breakGlassAccounts.length
      ? await pullBreakGlassSignIns(
          client,
          store,
          config.breakGlassAccounts,
          new Date(pulled.window.from),
          new Date(pulled.window.to),
          { beta: config.azure.betaSignIns },
        )
      : { records: 0, landed: [] };
    const transformed = await transform(db, store, config);
    return { ...pulled, signIns: signIns.records, transformed };
  });
}

import {
  createLogsClient,
  pullLogAnalytics,
  pullLogAnalyticsSignIns,
  readLaWatermark,
  type LaResult,
} from '../ingest/log-analytics/index.js';
import { subDays as subDaysLa, subMinutes as subMinutesLa } from 'date-fns';

/** Pulls AuditLogs from a Log Analytics workspace (time-sliced), then transforms what is new. */
export async function ingestLogAnalytics(
  dbPath: string,
  config: Config,
  opts: { workspaceId: string; since?: Date; until?: Date; now?: Date; sliceHours?: number; rowCap?: number },
  onSlice?: (e: { from: string; to: string; rows: number; split: boolean }) => void,
): Promise<
  LaResult & { signIns: number; signInKinds: string[]; signInsNotCovered: string[]; transformed: StageCounts }
> {
  const credential = createCredential(config);
  const client = createLogsClient(config, credential);
  const store = landingStore(dbPath, config);
  const now = opts.now ?? new Date();
  const watermark = readLaWatermark(store, opts.workspaceId);
  const since =
    opts.since ?? (watermark ? subMinutesLa(new Date(watermark), config.azure.overlapMinutes) : subDaysLa(now, 90));
  return withDb(dbPath, config, async (db) => {
    const pulled = await pullLogAnalytics(
      client,
      store,
      config,
      {
        workspaceId: opts.workspaceId,
        since,
        until: opts.until ?? now,
        sliceHours: opts.sliceHours,
        rowCap: opts.rowCap,
      },
      onSlice,
    );
    const signIns = await pullLogAnalyticsSignIns(
      client,
      store,
      opts.workspaceId,
      config.breakGlassAccounts,
      since,
      opts.until ?? now,
    );
    const transformed = await transform(db, store, config);
    return {
      ...pulled,
      signIns: signIns.records,
      signInKinds: signIns.kinds,
      signInsNotCovered: signIns.notCovered,
      transformed,
    };
  });
}

import { pullSnapshot, type SnapshotResult } from '../ingest/graph/snapshot.js';
import { pullArmSnapshot } from '../ingest/arm/snapshot.js';
import { armScope } from '../core/azure.js';
import { cloudEndpoints } from '../core/cloud.js';

/**
 * Pulls the PIM state snapshot of every plane (Entra roles and PIM for Groups from Graph, Azure
 * resources from ARM) as one observation, then loads it into the state tables.
 */
export async function ingestSnapshot(
  dbPath: string,
  config: Config,
  now = new Date(),
): Promise<SnapshotResult & { transformed: StageCounts; gaps: ReturnType<typeof classifyGaps> }> {
  const credential = createCredential(config);
  const client = createGraphClient(config, credential, undefined, 'directory');
  const store = landingStore(dbPath, config);
  const tenantId = pullTenant();
  return withDb(dbPath, config, async (db) => {
    // PIM for Groups lists per group: the groups the log shows PIM governing are asked too.
    // A store that has derived nothing yet has no pim_requests.
    const derived = await db.one<{ n: bigint }>(
      "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'pim_requests' AND NOT temporary",
    );
    const loggedGroups = Number(derived?.n)
      ? (
          await db.all<{ g: string }>(
            "SELECT DISTINCT scope_id AS g FROM pim_requests WHERE plane = 'group' AND scope_id IS NOT NULL ORDER BY 1",
          )
        ).map((r) => r.g)
      : [];
    const pulled = await pullSnapshot(client, store, now, { loggedGroups, tenantId });
    const arm = await pullArmSnapshot(
      credential,
      { endpoint: cloudEndpoints(config).armEndpoint, scope: armScope(config) },
      store,
      pulled.observedAt,
      tenantId,
    );
    pulled.landed.push(...arm.landed);
    pulled.endpoints.push(...arm.endpoints);
    const transformed = await transform(db, store, config);
    return { ...pulled, transformed, gaps: classifyGaps(pulled.endpoints, config.acknowledgedGaps) };
  });
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
