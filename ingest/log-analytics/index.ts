// `pimops ingest log-analytics`: AuditLogs history from a Log Analytics workspace, in time slices
// small enough for the query API (500k rows / ~64 MB); a slice that comes back partial or at the
// row cap is split in two and asked again. Rows are landed in the Log Analytics shape and read
// by their own staging model.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../../core/config.js';
import { logAnalyticsScope } from '../../core/azure.js';
import { cloudEndpoints } from '../../core/cloud.js';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { PimopsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/output.js';
import { landRecords } from '../landed-records.js';

const COLUMNS = [
  'TimeGenerated',
  'Id',
  'ActivityDateTime',
  'ActivityDisplayName',
  'OperationName',
  'Category',
  'LoggedByService',
  'AADOperationType',
  'Result',
  'ResultReason',
  'CorrelationId',
  'Identity',
  'AADTenantId',
  'InitiatedBy',
  'TargetResources',
  'AdditionalDetails',
];

/** Rows a slice may return before it is split: under the API's 500k cap with room to spare. */
export const SLICE_ROW_CAP = 400_000;
const MIN_SLICE_MS = 60_000;

export interface LaOptions {
  workspaceId: string;
  since: Date;
  until: Date;
  sliceHours?: number;
  rowCap?: number;
  /** The tenant pulled: on each landed slice for rows that name none; with perTenantState, its own watermark. */
  tenantId?: string;
  perTenantState?: boolean;
}
export interface LaResult {
  slices: number;
  splits: number;
  rows: number;
  landed: ManifestEntry[];
  window: { from: string; to: string };
}

export function createLogsClient(config: Config, credential: TokenCredential): LogsQueryClient {
  // The endpoint is used verbatim (it must end in /v1); scopes are passed explicitly because the
  // client ignores `audience` (Azure/azure-sdk-for-js#39506).
  return new LogsQueryClient(credential, {
    endpoint: cloudEndpoints(config).logAnalyticsEndpoint,
    credentials: { scopes: [logAnalyticsScope(config)] },
    retryOptions: { maxRetries: config.azure.maxRetries },
  });
}

export function sliceQuery(from: Date, to: Date, pimOnly: boolean): string {
  const where = pimOnly
    ? `\n| where LoggedByService == "PIM" or OperationName in ("Add member to role", "Remove member from role") or LoggedByService == "Access Reviews"`
    : '';
  return `AuditLogs
| where TimeGenerated >= datetime(${from.toISOString()}) and TimeGenerated < datetime(${to.toISOString()})${where}
| project ${COLUMNS.join(', ')}`;
}

/** The query API's answers when a result is too large (Kusto's E_QUERY_RESULT_SET_TOO_LARGE, "…exceeded the
 *  internal data size limit…", the API's "Response size too large"). */
export function isSizeLimitError(e: { code?: string; message?: string }): boolean {
  return /RESULT_SET_TOO_LARGE|ResponsePayloadTooLarge|ResponseSizeError|size limit|data size|response size/i.test(
    `${e.code ?? ''} ${e.message ?? ''}`,
  );
}

function rowsOf(table: LogsTable): Record<string, unknown>[] {
  const names = table.columnDescriptors.map((c) => c.name ?? '');
  return table.rows.map((row) =>
    Object.fromEntries(names.map((n, i) => [n, row[i] instanceof Date ? row[i].toISOString() : row[i]])),
  );
}

const slug = (s: string) => s.replace(/[^\w-]/g, '_');

/** One watermark per workspace, and per tenant when several tenants are pulled (one workspace may serve several). */
function statePath(store: LandingStore, workspaceId: string, tenantId?: string): string {
  return join(store.dir, 'state', `log-analytics-${slug(workspaceId)}${tenantId ? `@${slug(tenantId)}` : ''}.json`);
}

export function readLaWatermark(store: LandingStore, workspaceId: string, tenantId?: string): string | undefined {
  const p = statePath(store, workspaceId, tenantId);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { watermark?: string }).watermark : undefined;
}

export async function pullLogAnalytics(
  client: LogsQueryClient,
  store: LandingStore,
  config: Config,
  opts: LaOptions,
  onSlice?: (e: { from: string; to: string; rows: number; split: boolean }) => void,
): Promise<LaResult> {
  const result: LaResult = {
    slices: 0,
    splits: 0,
    rows: 0,
    landed: [],
    window: { from: opts.since.toISOString(), to: opts.until.toISOString() },
  };
  const sliceMs = (opts.sliceHours ?? 24) * 3_600_000;
  const cap = opts.rowCap ?? SLICE_ROW_CAP;
  store.ensure();
  const slices: [Date, Date][] = [];
  for (let t = opts.since.getTime(); t < opts.until.getTime(); t += sliceMs)
    slices.push([new Date(t), new Date(Math.min(t + sliceMs, opts.until.getTime()))]);
  while (slices.length) {
    const [from, to] = slices.shift()!;
    let res;
    try {
      res = await client.queryWorkspace(
        opts.workspaceId,
        sliceQuery(from, to, config.azure.pimOnly),
        { startTime: from, endTime: to },
        { serverTimeoutInSeconds: 600 },
      );
    } catch (err) {
      const e = err as { statusCode?: number; code?: string; message?: string };
      // Whether the ~100 MB result cap comes back as a partial result or as an error is not
      // documented: an error that names the size limit is handled like a partial result.
      if (isSizeLimitError(e) && to.getTime() - from.getTime() > MIN_SLICE_MS) {
        const mid = new Date(from.getTime() + Math.floor((to.getTime() - from.getTime()) / 2));
        slices.unshift([from, mid], [mid, to]);
        result.splits++;
        onSlice?.({ from: from.toISOString(), to: to.toISOString(), rows: 0, split: true });
        continue;
      }
      if (e.statusCode === 403)
        throw new PimopsError(
          'azure-permission',
          `Log Analytics refused workspace ${opts.workspaceId} (403): grant the app the Log Analytics Reader role on the workspace. See docs/azure-setup.md.`,
        );
      throw new PimopsError(
        'azure-request',
        `Log Analytics query for ${from.toISOString()}..${to.toISOString()} failed${e.statusCode ? ` (${e.statusCode})` : ''}: ${e.message ?? String(err)}`,
      );
    }
    const complete = res.status === LogsQueryResultStatus.Success;
    const tables = res.status === LogsQueryResultStatus.Success ? res.tables : res.partialTables;
    const partialMessage = res.status === LogsQueryResultStatus.Success ? '' : res.partialError?.message;
    const rows = tables.length ? rowsOf(tables[0]) : [];
    if (!complete || rows.length >= cap) {
      // Partial, or at the cap: never land part of a slice as if it were all of it. Halve and ask again.
      if (to.getTime() - from.getTime() <= MIN_SLICE_MS) {
        throw new PimopsError(
          'azure-request',
          `Log Analytics returned an incomplete result even for one minute (${from.toISOString()}): ${complete ? `${rows.length} rows at the cap` : partialMessage}`,
        );
      }
      const mid = new Date(from.getTime() + Math.floor((to.getTime() - from.getTime()) / 2));
      slices.unshift([from, mid], [mid, to]);
      result.splits++;
      onSlice?.({ from: from.toISOString(), to: to.toISOString(), rows: rows.length, split: true });
      continue;
    }
    const { entry, isNew } = landRecords(store, rows, {
      originalPath: `log-analytics:${opts.workspaceId}:${from.toISOString()}..${to.toISOString()}`,
      shape: 'log_analytics_query',
      flavor: 'log_analytics',
      source: 'log_analytics',
      window: { from: from.toISOString(), to: to.toISOString() },
      tenantId: opts.tenantId,
    });
    if (isNew) result.landed.push(entry);
    result.slices++;
    result.rows += rows.length;
    onSlice?.({ from: from.toISOString(), to: to.toISOString(), rows: rows.length, split: false });
  }
  mkdirSync(join(store.dir, 'state'), { recursive: true, mode: 0o700 });
  const p = statePath(store, opts.workspaceId, opts.perTenantState ? opts.tenantId : undefined);
  // State must read back exactly: not passed through the redactor.
  writeFileAtomic(p, JSON.stringify({ watermark: opts.until.toISOString() }), { redact: false });
  return result;
}

/** Sign-ins of the break-glass accounts from the workspace, landed in Graph's signIn shape: SigninLogs
 *  (interactive) and AADNonInteractiveUserSignInLogs (a refresh token, a script). A workspace whose
 *  diagnostic setting does not send the second table is not an error: the kind is named as not covered. */
export async function pullLogAnalyticsSignIns(
  client: LogsQueryClient,
  store: LandingStore,
  workspaceId: string,
  accounts: string[],
  from: Date,
  to: Date,
  tenantId?: string,
): Promise<{ records: number; kinds: string[]; notCovered: string[] }> {
  const out = { records: 0, kinds: [] as string[], notCovered: [] as string[] };
  if (!accounts.length) return out;
  const list = accounts.map((a) => `"${a.toLowerCase().replaceAll('"', '').replaceAll('\\', '')}"`).join(', ');
  const kinds = [
    { table: 'SigninLogs', kind: 'interactiveUser', shape: 'snapshot:signIns' },
    { table: 'AADNonInteractiveUserSignInLogs', kind: 'nonInteractiveUser', shape: 'snapshot:signIns:nonInteractive' },
  ];
  for (const k of kinds) {
    const kql = `${k.table}
| where TimeGenerated >= datetime(${from.toISOString()}) and TimeGenerated < datetime(${to.toISOString()})
| where tolower(UserPrincipalName) in (${list}) or tolower(UserId) in (${list})
| project Id, TimeGenerated, UserId, UserPrincipalName, AppDisplayName, IPAddress, ResultType, ConditionalAccessStatus`;
    let res;
    try {
      res = await client.queryWorkspace(workspaceId, kql, { startTime: from, endTime: to });
    } catch (err) {
      const e = err as { statusCode?: number; message?: string };
      // A table the workspace does not have fails to resolve (400): that kind is simply not there.
      if (k.kind !== 'interactiveUser' && e.statusCode === 400) {
        out.notCovered.push(`${k.table}: ${String(e.message ?? err).split('\n')[0]}`);
        continue;
      }
      throw err;
    }
    if (res.status !== LogsQueryResultStatus.Success)
      throw new PimopsError('azure-request', `${k.table} query came back partial: ${res.partialError?.message}`);
    const rows = res.tables.length ? rowsOf(res.tables[0]) : [];
    const items = rows.map((r) => ({
      id: r.Id,
      createdDateTime: r.TimeGenerated,
      userId: r.UserId,
      userPrincipalName: r.UserPrincipalName,
      appDisplayName: r.AppDisplayName,
      ipAddress: r.IPAddress,
      status: { errorCode: Number(r.ResultType ?? 0) },
      conditionalAccessStatus: r.ConditionalAccessStatus,
      signInEventTypes: [k.kind],
    }));
    landRecords(store, items, {
      originalPath: `log-analytics:${workspaceId}:${k.table}:${from.toISOString()}..${to.toISOString()}`,
      shape: k.shape,
      flavor: 'snapshot',
      source: 'log_analytics',
      endpoint: 'signIns',
      observedAt: to.toISOString(),
      tenantId,
    });
    out.records += items.length;
    out.kinds.push(k.kind);
  }
  return out;
}
