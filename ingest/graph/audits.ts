// `pimops ingest graph`: directoryAudits over a time window, page by page, landed as it arrives.
// The watermark advances only when the whole window has landed; the next run starts an overlap
// before it (late records), and the overlap is de-duplicated by record id downstream.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { subDays, subMinutes } from 'date-fns';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../../core/config.js';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { PimopsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/output.js';
import { landRecords } from '../landed-records.js';
import { cloudEndpoints } from '../../core/cloud.js';
import { auditRetention, type Retention } from './licence.js';

export interface PullOptions {
  since?: Date;
  until?: Date;
  now?: Date;
  /** The tenant pulled (the credential's), written on each landed page for records without tid. */
  tenantId?: string;
  /** Several tenants are pulled into this store: the watermark is this tenant's own. */
  perTenantState?: boolean;
}

export interface PageEvent {
  stream: string;
  page: number;
  records: number;
  totalRecords: number;
  newestTime: string | null;
}

export interface PullResult {
  window: { from: string; to: string };
  pages: number;
  records: number;
  landed: ManifestEntry[];
  retentionGap?: { from: string; to: string };
  /** How many days Graph keeps, and why pimops believes so (licence, config, or an assumption). */
  retention: Retention;
  resumedAfterBrokenLink: number;
}

interface GraphState {
  watermark?: string;
  lastRun?: string;
  /** The tenant the window was pulled from (written since issue 21). */
  tenantId?: string;
}

/** One watermark per tenant once several are pulled: one tenant's run never moves another's start. */
function statePath(store: LandingStore, tenantId?: string): string {
  const own = tenantId ? `@${tenantId.replace(/[^\w-]/g, '_')}` : '';
  return join(store.dir, 'state', `graph-directoryAudits${own}.json`);
}

export function readGraphState(store: LandingStore, tenantId?: string): GraphState {
  const read = (p: string) => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as GraphState) : undefined);
  if (!tenantId) return read(statePath(store)) ?? {};
  // A store that pulled this tenant alone before: its one watermark carries on when it names this tenant.
  const shared = read(statePath(store));
  return read(statePath(store, tenantId)) ?? (shared?.tenantId === tenantId ? shared : {});
}

function writeState(store: LandingStore, s: GraphState, perTenant: boolean): void {
  mkdirSync(join(store.dir, 'state'), { recursive: true, mode: 0o700 });
  // State must read back exactly: not passed through the redactor.
  writeFileAtomic(statePath(store, perTenant ? s.tenantId : undefined), JSON.stringify(s, null, 2), {
    redact: false,
  });
}

/** The filters to pull: everything, or (pimOnly) PIM and the records the metrics need beside it. One stream each:
 *  Graph rejects `or` together with $orderby. */
export function auditStreams(config: Config): { name: string; filter: string }[] {
  if (!config.azure.pimOnly) return [{ name: 'all', filter: '' }];
  return [
    { name: 'pim', filter: "loggedByService eq 'PIM'" },
    { name: 'core-directory-add', filter: "activityDisplayName eq 'Add member to role'" },
    { name: 'core-directory-remove', filter: "activityDisplayName eq 'Remove member from role'" },
    { name: 'access-reviews', filter: "loggedByService eq 'Access Reviews'" },
  ];
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Graph has no directoryAudits in the 21Vianet cloud: say so before any request, with the way that works there. */
export function refuseWithoutDirectoryAudits(config: Config): void {
  const c = cloudEndpoints(config);
  if (c.directoryAudits) return;
  throw new PimopsError(
    'usage',
    `Microsoft Graph offers no auditLogs/directoryAudits in the '${c.cloud}' cloud (operated by 21Vianet), so ingest graph cannot run there. ` +
      'Send the AuditLogs category to a Log Analytics workspace with a diagnostic setting and use pimops ingest log-analytics, ' +
      'or import exported files with pimops import. See docs/azure-setup.md.',
  );
}

export async function pullDirectoryAudits(
  client: Client,
  store: LandingStore,
  config: Config,
  opts: PullOptions,
  onPage?: (e: PageEvent) => void,
): Promise<PullResult> {
  const now = opts.now ?? new Date();
  refuseWithoutDirectoryAudits(config);
  const state = readGraphState(store, opts.perTenantState ? opts.tenantId : undefined);
  const retention = await auditRetention(client, config);
  let from =
    opts.since ??
    (state.watermark
      ? subMinutes(new Date(state.watermark), config.azure.overlapMinutes)
      : subDays(now, retention.days));
  const to = opts.until ?? now;
  if (to <= from)
    throw new PimopsError('usage', `--until (${to.toISOString()}) must be after the start (${from.toISOString()})`);
  // Graph refuses a start older than retention: clamp, and say what cannot be had.
  const oldest = subDays(now, retention.days);
  let retentionGap: PullResult['retentionGap'];
  if (from < oldest) {
    retentionGap = { from: from.toISOString(), to: oldest.toISOString() };
    from = oldest;
  }
  store.ensure();
  const result: PullResult = {
    window: { from: from.toISOString(), to: to.toISOString() },
    pages: 0,
    records: 0,
    landed: [],
    retentionGap,
    retention,
    resumedAfterBrokenLink: 0,
  };
  for (const stream of auditStreams(config)) {
    await pullStream(client, store, config, stream, from, to, result, onPage, opts.tenantId);
  }
  // Only now is the window complete: the next run starts from here (minus the overlap).
  writeState(
    store,
    { watermark: to.toISOString(), lastRun: now.toISOString(), tenantId: opts.tenantId },
    Boolean(opts.perTenantState && opts.tenantId),
  );
  return result;
}

async function pullStream(
  client: Client,
  store: LandingStore,
  config: Config,
  stream: { name: string; filter: string },
  from: Date,
  to: Date,
  result: PullResult,
  onPage?: (e: PageEvent) => void,
  tenantId?: string,
): Promise<void> {
  const query = (start: Date) => {
    const time = `activityDateTime ge ${iso(start)} and activityDateTime le ${iso(to)}`;
    const filter = stream.filter ? `${time} and ${stream.filter}` : time;
    return `/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}&$top=${config.azure.pageSize}&$orderby=${encodeURIComponent('activityDateTime asc')}`;
  };
  let next: string | undefined = query(from);
  let ascending = true;
  let newest: string | null = null;
  let newestMs = -Infinity;
  let onNextLink = false;
  while (next) {
    let body: unknown;
    try {
      body = await client.api(next).get();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode ?? 0;
      // A nextLink that stopped working: when pages came back in time order, everything up to the
      // newest landed record is safe, so start again from there (its duplicates are dropped by id).
      if (onNextLink && status >= 400 && status < 500 && status !== 401 && status !== 403 && ascending && newest) {
        result.resumedAfterBrokenLink++;
        next = query(new Date(newest));
        onNextLink = false;
        continue;
      }
      throw graphError(err, next);
    }
    const page = graphPage(body, next);
    const records = page.value;
    for (const r of records) {
      const t = (r as { activityDateTime?: string }).activityDateTime;
      const ms = typeof t === 'string' ? Date.parse(t) : NaN;
      if (Number.isNaN(ms)) continue;
      if (ms < newestMs) ascending = false;
      if (ms > newestMs) {
        newestMs = ms;
        newest = t as string;
      }
    }
    const { entry, isNew } = landRecords(store, records, {
      originalPath: `graph:${stream.name}:${from.toISOString()}..${to.toISOString()}#${result.pages + 1}`,
      shape: 'graph_page',
      flavor: 'graph',
      source: 'graph',
      window: { from: from.toISOString(), to: to.toISOString() },
      tenantId,
    });
    if (isNew) result.landed.push(entry);
    result.pages++;
    result.records += records.length;
    onPage?.({
      stream: stream.name,
      page: result.pages,
      records: records.length,
      totalRecords: result.records,
      newestTime: newest,
    });
    next = page.nextLink;
    onNextLink = true;
  }
}

/** A response body read as a page of records. It is the server's JSON, so its shape is checked, not assumed:
 *  a page without a `value` list has no records; a body that is not an object, or a next link that is not
 *  text, stops the pull loudly rather than being followed or silently taken as the last page. */
function graphPage(body: unknown, url: string): { value: unknown[]; nextLink?: string } {
  const path = url.split('?')[0];
  if (typeof body !== 'object' || body === null)
    throw new PimopsError('azure-request', `Graph returned a page of ${path} that is not a JSON object`);
  const b = body as { 'value'?: unknown; '@odata.nextLink'?: unknown };
  const link = b['@odata.nextLink'];
  if (link !== undefined && link !== null && typeof link !== 'string') {
    throw new PimopsError('azure-request', `Graph returned a page of ${path} whose @odata.nextLink is not a URL`);
  }
  return { value: Array.isArray(b.value) ? b.value : [], nextLink: link ?? undefined };
}

function graphError(err: unknown, url: string): PimopsError {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode ?? 0;
  const path = url.split('?')[0];
  if (status === 403) {
    return new PimopsError(
      'azure-permission',
      `Graph refused ${path} (403 ${e.code ?? ''}): the app needs AuditLog.Read.All and Directory.Read.All (application permissions, admin-consented). See docs/azure-setup.md.`,
    );
  }
  if (status === 401)
    return new PimopsError(
      'azure-auth',
      `Graph did not accept the token for ${path} (401), even after a fresh one. Check the app registration and tenant.`,
    );
  return new PimopsError(
    'azure-request',
    `Graph request ${path} failed${status ? ` (${status})` : ''}: ${e.message ?? String(err)}`,
  );
}
