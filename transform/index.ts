import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { configuredTenants } from '../core/config.js';
import type { LandingStore, ManifestEntry } from '../core/landing.js';
import { modelSql } from './sql.js';
import { activityMapValuesSql } from './activities.js';
import { rolesValuesSql } from './roles.js';
import { stageNew, type Incoming, type StageCounts } from './stage.js';
import { derive, type DeriveMode } from './derive.js';
import { STATE_TABLES } from './snapshot.js';

export type { Incoming, StageCounts } from './stage.js';
export { derivePim, derive, type DeriveMode } from './derive.js';

export async function ensureSchema(db: Db): Promise<void> {
  // Lookup tables first: macros in schema.sql read them.
  await db.run(`CREATE OR REPLACE TABLE pim_activity_map (activity VARCHAR PRIMARY KEY, step VARCHAR, request_type VARCHAR, kind VARCHAR, permanent BOOLEAN);
    INSERT INTO pim_activity_map VALUES ${activityMapValuesSql()};
    CREATE OR REPLACE TABLE roles (role_id VARCHAR PRIMARY KEY, role_name VARCHAR, privileged BOOLEAN, tier0 BOOLEAN);
    INSERT INTO roles VALUES ${rolesValuesSql()};`);
  await db.run(modelSql('schema'));
}

/** Stages what is new, then brings the PIM tables up to date: only the partitions new files touch,
 *  or everything when asked (`force`) or when they are not complete. A re-import that adds nothing
 *  costs only the hashing. */
export async function transform(
  db: Db,
  store: LandingStore,
  config: Config,
  onFile?: (e: ManifestEntry, c: StageCounts) => void,
  force = false,
  incoming?: Incoming,
): Promise<StageCounts & { derived: DeriveMode }> {
  await ensureSchema(db);
  const counts = await stageNew(
    db,
    store,
    onFile,
    {
      configured: configuredTenants(config).map((t) => t.id),
      implicit: config.tenant,
    },
    incoming,
  );
  // After staging, so the outcome never depends on how files were batched: a file's tenant-less
  // records staged before any record named the tenant are placed once one has.
  const placed = await placeUntenanted(db, config);
  return { ...counts, derived: await derive(db, config, force || placed) };
}

/** The tables whose rows are input (records, files, snapshot state), each of which may hold rows of no tenant. */
const PLACED_TABLES = ['audit_events', 'id_conflicts', 'landing_files', 'role_assignments', ...STATE_TABLES];

/**
 * Rows stored without a tenant belong to the store's one tenant: records of a store made before
 * tenants were kept (Graph records without a tid detail), and the state of a snapshot landed without
 * one (a store made before, or files imported without --tenant). The one tenant is the configured
 * `tenant`, else the only tenant the configuration or the records name. With several, they stay
 * unplaced (tenant_id NULL) rather than guessed. Returns whether any moved (the PIM tables are then
 * derived in full).
 */
export async function placeUntenanted(db: Db, config: Config): Promise<boolean> {
  const unplaced: string[] = [];
  for (const table of PLACED_TABLES) {
    const r = await db.one<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE tenant_id IS NULL) AS any`);
    if (r?.any) unplaced.push(table);
  }
  if (!unplaced.length) return false;
  let tenant = config.tenant;
  if (!tenant) {
    const stored = await db.all<{ t: string }>(
      'SELECT DISTINCT tenant_id AS t FROM audit_events WHERE tenant_id IS NOT NULL',
    );
    const all = new Set([...configuredTenants(config).map((t) => t.id), ...stored.map((r) => r.t)]);
    if (all.size !== 1) return false;
    tenant = [...all][0];
  }
  for (const table of unplaced)
    await db.run(`UPDATE ${table} SET tenant_id = $t WHERE tenant_id IS NULL`, { t: tenant });
  return true;
}

/** Drops everything derived and replays the landing store in manifest order: same input, same tables. */
export async function rebuild(
  db: Db,
  store: LandingStore,
  config: Config,
): Promise<StageCounts & { prunedFiles: number }> {
  for (const t of [
    'pim_approvals',
    'pim_requests',
    'pim_activations',
    'int_pim_events',
    'role_assignments',
    'activation_instances',
    'coverage_starts',
    'role_policies',
    'role_definitions',
    'pim_scopes',
    'directory_users',
    'access_review_definitions',
    'access_review_instances',
    'access_review_decisions',
    'sign_ins',
    'transform_state',
    'id_conflicts',
    'audit_events',
    'quarantine',
    'landing_files',
  ]) {
    await db.run(`DROP TABLE IF EXISTS ${t}`);
  }
  const counts = await transform(db, store, config, undefined, true);
  // Files removed by retention cannot be replayed: the caller says so.
  return { ...counts, prunedFiles: store.pruned().size };
}
