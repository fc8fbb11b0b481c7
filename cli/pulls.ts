// The pulls from Azure (Graph directoryAudits, Log Analytics, the PIM state snapshot), for one
// tenant or many. Each tenant is pulled with its own configuration, credential, client and so its
// own throttle, and its own watermark; a tenant that fails (a 401, an app not consented there, a
// missing permission) is named in the outcome while the others land. The store transforms once,
// after every tenant's pull.
import { subDays, subMinutes } from 'date-fns';
import type { Config } from '../core/config.js';
import { configuredTenants } from '../core/config.js';
import { asPimopsError, PimopsError } from '../core/errors.js';
import { classifyGaps, gapError } from '../core/gaps.js';
import { armScope, createCredential, pullTenant, signInError, tenantEnv } from '../core/azure.js';
import { cloudEndpoints } from '../core/cloud.js';
import type { Db } from '../core/db.js';
import type { LandingStore } from '../core/landing.js';
import { findTenant, label } from '../core/tenants.js';
import { createGraphClient, type ClientEvents } from '../ingest/graph/client.js';
import { pullDirectoryAudits, type PageEvent, type PullResult } from '../ingest/graph/audits.js';
import { pullBreakGlassSignIns } from '../ingest/graph/sign-ins.js';
import { pullSnapshot, type SnapshotResult } from '../ingest/graph/snapshot.js';
import { pullArmSnapshot } from '../ingest/arm/snapshot.js';
import {
  createLogsClient,
  pullLogAnalytics,
  pullLogAnalyticsSignIns,
  readLaWatermark,
  type LaResult,
} from '../ingest/log-analytics/index.js';
import { transform, type StageCounts } from '../transform/index.js';
import { landingStore, withDb } from './pipeline.js';

/** One tenant to pull: its configuration and the environment its credential reads. */
export interface PullTarget {
  /** The tenant id (lower case); undefined for a managed identity without AZURE_TENANT_ID. */
  id?: string;
  name?: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  /** Several tenants share the store: watermarks are kept per tenant. */
  perTenantState: boolean;
}

export type TenantOutcome<T> = { tenant: { id?: string; name?: string } } & (
  { ok: true; result: T } | { ok: false; error: PimopsError }
);

/**
 * Which tenants a pull reads: `--tenant ID|NAME` (a configured tenant, or any tenant id for one
 * multi-tenant app), `--all-tenants` (every configured one), else the tenant the environment signs
 * in to, as before tenants existed. A configuration that lists tenants asks which.
 */
export function pullTargets(
  config: Config,
  sel: { tenant?: string; allTenants?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): PullTarget[] {
  const configured = configuredTenants(config);
  const target = (t: { id: string; name?: string; config: Config }): PullTarget => ({
    ...t,
    env: tenantEnv(env, t),
    perTenantState: true,
  });
  if (sel.tenant && sel.allTenants) throw new PimopsError('usage', 'Give --tenant or --all-tenants, not both');
  if (sel.allTenants) {
    if (!configured.length)
      throw new PimopsError('usage', '--all-tenants: the configuration lists no tenants (tenants: [{id, name}])');
    const managed = configured.filter((t) => t.config.azure.credential === 'managedIdentity');
    // A managed identity signs in to its own tenant only: every tenant would get that one's records.
    if (managed.length > 1)
      throw new PimopsError(
        'config-invalid',
        `A managed identity signs in to its own tenant only, but ${managed.map(label).join(', ')} all use azure.credential 'managedIdentity'. ` +
          "Give the others tenants[].azure.credential 'clientSecret', 'clientCertificate' or 'workloadIdentity' (a multi-tenant app).",
      );
    return configured.map(target);
  }
  if (sel.tenant) {
    const hit = findTenant(configured, sel.tenant, { anyGuid: true });
    const own = configured.find((t) => t.id === hit.id);
    return [target(own ?? { id: hit.id, config: { ...config, tenant: hit.id } })];
  }
  if (configured.length > 1)
    throw new PimopsError(
      'usage',
      `The configuration lists ${configured.length} tenants: pull one with --tenant ID|NAME or every one with --all-tenants. Tenants: ${configured.map(label).join(', ')}`,
    );
  if (configured.length === 1) return [target(configured[0])];
  return [{ id: pullTenant(env), config, env, perTenantState: false }];
}

/** Runs each tenant's pull, `parallel` at a time; a failure is that tenant's outcome, not the run's end. */
export async function eachTarget<T>(
  targets: PullTarget[],
  parallel: number,
  fn: (t: PullTarget) => Promise<T>,
): Promise<TenantOutcome<T>[]> {
  const out = new Array<TenantOutcome<T>>(targets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const t = targets[i];
      const tenant = { id: t.id, name: t.name };
      try {
        out[i] = { tenant, ok: true, result: await fn(t) };
      } catch (err) {
        out[i] = { tenant, ok: false, error: signInError(err, t.id) ?? asPimopsError(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, targets.length)) }, worker));
  return out;
}

/** A single-tenant pull's result, or its error as it always was. */
function only<T>(outcomes: TenantOutcome<T>[]): T {
  const o = outcomes[0];
  if (o.ok) return o.result;
  throw o.error;
}

// ---- Graph directoryAudits ----------------------------------------------------------------------

export type GraphPull = PullResult & { signIns: number };

async function pullGraphTenant(
  store: LandingStore,
  t: PullTarget,
  opts: { since?: Date; until?: Date; now?: Date },
  hooks: { onPage?: (e: PageEvent) => void } & ClientEvents,
): Promise<GraphPull> {
  const client = createGraphClient(t.config, createCredential(t.config, t.env), hooks);
  const pulled = await pullDirectoryAudits(
    client,
    store,
    t.config,
    { ...opts, tenantId: t.id, perTenantState: t.perTenantState },
    hooks.onPage,
  );
  const signIns = t.config.breakGlassAccounts.length
    ? await pullBreakGlassSignIns(
        client,
        store,
        t.config.breakGlassAccounts,
        new Date(pulled.window.from),
        new Date(pulled.window.to),
        { beta: t.config.azure.betaSignIns, tenantId: t.id },
      )
    : { records: 0, landed: [] };
  return { ...pulled, signIns: signIns.records };
}

/** Pulls Graph directoryAudits of every target into the landing store, then transforms what is new once. */
export async function ingestGraphTenants(
  dbPath: string,
  config: Config,
  targets: PullTarget[],
  opts: { since?: Date; until?: Date; now?: Date },
  hooks: { onPage?: (e: PageEvent, tenant?: string) => void } & ClientEvents = {},
): Promise<{ tenants: TenantOutcome<GraphPull>[]; transformed: StageCounts }> {
  const store = landingStore(dbPath, config);
  return withDb(dbPath, config, async (db) => {
    const tenants = await eachTarget(targets, config.azure.parallelTenants, (t) =>
      pullGraphTenant(store, t, opts, { ...hooks, onPage: (e) => hooks.onPage?.(e, t.name ?? t.id) }),
    );
    return { tenants, transformed: await transform(db, store, config) };
  });
}

/** Pulls Graph directoryAudits of the environment's tenant, then transforms what is new. */
export async function ingestGraph(
  dbPath: string,
  config: Config,
  opts: { since?: Date; until?: Date; now?: Date },
  hooks: { onPage?: (e: PageEvent) => void } & ClientEvents = {},
): Promise<GraphPull & { transformed: StageCounts }> {
  const r = await ingestGraphTenants(dbPath, config, pullTargets(config), opts, hooks);
  return { ...only(r.tenants), transformed: r.transformed };
}

// ---- Log Analytics ------------------------------------------------------------------------------

export type LaPull = LaResult & { signIns: number; signInKinds: string[]; signInsNotCovered: string[] };

async function pullLaTenant(
  store: LandingStore,
  t: PullTarget,
  opts: { workspaceId?: string; since?: Date; until?: Date; now?: Date; sliceHours?: number; rowCap?: number },
  onSlice?: (e: { from: string; to: string; rows: number; split: boolean }) => void,
): Promise<LaPull> {
  const workspaceId = opts.workspaceId ?? t.config.azure.workspaceId;
  if (!workspaceId)
    throw new PimopsError(
      'usage',
      `Give --workspace ID or set azure.workspaceId${t.name ? ` (tenants: ${t.name}.azure.workspaceId)` : ''} in the config`,
    );
  const client = createLogsClient(t.config, createCredential(t.config, t.env));
  const now = opts.now ?? new Date();
  const stateTenant = t.perTenantState ? t.id : undefined;
  const watermark = readLaWatermark(store, workspaceId, stateTenant);
  const since =
    opts.since ?? (watermark ? subMinutes(new Date(watermark), t.config.azure.overlapMinutes) : subDays(now, 90));
  const until = opts.until ?? now;
  const pulled = await pullLogAnalytics(
    client,
    store,
    t.config,
    {
      workspaceId,
      since,
      until,
      sliceHours: opts.sliceHours,
      rowCap: opts.rowCap,
      tenantId: t.id,
      perTenantState: t.perTenantState,
    },
    onSlice,
  );
  const signIns = await pullLogAnalyticsSignIns(
    client,
    store,
    workspaceId,
    t.config.breakGlassAccounts,
    since,
    until,
    t.id,
  );
  return { ...pulled, signIns: signIns.records, signInKinds: signIns.kinds, signInsNotCovered: signIns.notCovered };
}

/** Pulls AuditLogs from each target's workspace (time-sliced), then transforms what is new once. */
export async function ingestLogAnalyticsTenants(
  dbPath: string,
  config: Config,
  targets: PullTarget[],
  opts: { workspaceId?: string; since?: Date; until?: Date; now?: Date; sliceHours?: number; rowCap?: number },
  onSlice?: (e: { from: string; to: string; rows: number; split: boolean; tenant?: string }) => void,
): Promise<{ tenants: TenantOutcome<LaPull>[]; transformed: StageCounts }> {
  const store = landingStore(dbPath, config);
  return withDb(dbPath, config, async (db) => {
    const tenants = await eachTarget(targets, config.azure.parallelTenants, (t) =>
      pullLaTenant(store, t, opts, (e) => onSlice?.({ ...e, tenant: t.name ?? t.id })),
    );
    return { tenants, transformed: await transform(db, store, config) };
  });
}

/** Pulls AuditLogs from a Log Analytics workspace (time-sliced), then transforms what is new. */
export async function ingestLogAnalytics(
  dbPath: string,
  config: Config,
  opts: { workspaceId: string; since?: Date; until?: Date; now?: Date; sliceHours?: number; rowCap?: number },
  onSlice?: (e: { from: string; to: string; rows: number; split: boolean }) => void,
): Promise<LaPull & { transformed: StageCounts }> {
  const r = await ingestLogAnalyticsTenants(dbPath, config, pullTargets(config), opts, onSlice);
  return { ...only(r.tenants), transformed: r.transformed };
}

// ---- the PIM state snapshot ---------------------------------------------------------------------

export type SnapshotPull = SnapshotResult & { gaps: ReturnType<typeof classifyGaps> };

async function pullSnapshotTenant(db: Db, store: LandingStore, t: PullTarget, now: Date): Promise<SnapshotPull> {
  const credential = createCredential(t.config, t.env);
  const client = createGraphClient(t.config, credential, undefined, 'directory');
  // PIM for Groups lists per group: the groups the log shows PIM governing (in this tenant) are asked too.
  // A store that has derived nothing yet has no pim_requests.
  const derived = await db.one<{ n: bigint }>(
    "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'pim_requests' AND NOT temporary",
  );
  const loggedGroups = Number(derived?.n)
    ? (
        await db.all<{ g: string }>(
          `SELECT DISTINCT scope_id AS g FROM pim_requests WHERE plane = 'group' AND scope_id IS NOT NULL
             AND ($t::VARCHAR IS NULL OR tenant_id IS NULL OR tenant_id = $t) ORDER BY 1`,
          { t: t.id ?? null },
        )
      ).map((r) => r.g)
    : [];
  const pulled = await pullSnapshot(client, store, now, { loggedGroups, tenantId: t.id });
  const arm = await pullArmSnapshot(
    credential,
    { endpoint: cloudEndpoints(t.config).armEndpoint, scope: armScope(t.config) },
    store,
    pulled.observedAt,
    t.id,
  );
  pulled.landed.push(...arm.landed);
  pulled.endpoints.push(...arm.endpoints);
  return { ...pulled, gaps: classifyGaps(pulled.endpoints, t.config.acknowledgedGaps) };
}

/**
 * Pulls the PIM state snapshot of every plane (Entra roles and PIM for Groups from Graph, Azure
 * resources from ARM) of each target as one observation, then loads them into the state tables.
 */
export async function ingestSnapshotTenants(
  dbPath: string,
  config: Config,
  targets: PullTarget[],
  now = new Date(),
): Promise<{ tenants: TenantOutcome<SnapshotPull>[]; transformed: StageCounts }> {
  const store = landingStore(dbPath, config);
  return withDb(dbPath, config, async (db) => {
    const tenants = await eachTarget(targets, config.azure.parallelTenants, (t) =>
      pullSnapshotTenant(db, store, t, now),
    );
    return { tenants, transformed: await transform(db, store, config) };
  });
}

/** A snapshot that answered with an unexpected gap is that tenant's failure (the state that came is loaded). */
export function gapsAsFailures(outcomes: TenantOutcome<SnapshotPull>[]): TenantOutcome<SnapshotPull>[] {
  return outcomes.map((t) =>
    t.ok && t.result.gaps.failures.length
      ? { ...t, ok: false as const, error: gapError('snapshot', t.result.gaps.failures) }
      : t,
  );
}

/** The PIM state snapshot of the environment's tenant. */
export async function ingestSnapshot(
  dbPath: string,
  config: Config,
  now = new Date(),
): Promise<SnapshotPull & { transformed: StageCounts }> {
  const r = await ingestSnapshotTenants(dbPath, config, pullTargets(config), now);
  return { ...only(r.tenants), transformed: r.transformed };
}
