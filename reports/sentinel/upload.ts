// Sends rows with the Logs Ingestion API through the official client (it gzips and retries 429/5xx).
// Batches are cut here at 900,000 bytes of UTF-8 JSON: the installed client (1.2.0,
// splitDataToChunks) sums each row's JSON in UTF-8 bytes up to 1,000,000 but leaves the array's
// brackets and commas uncounted, so its chunks can pass the 1 MB call limit by a byte per row. A chunk the service refuses comes back in AggregateLogsUploadError: those rows
// are not recorded as sent, so the next export sends them again; the rest are recorded.
import { LogsIngestionClient, isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../../core/config.js';
import { PimopsError } from '../../core/errors.js';
import { cloudEndpoints } from '../../core/cloud.js';
import { redactDeep, redact } from '../../core/redact.js';
import type { PendingRow } from './rows.js';
import { tableByName, streamName } from './tables.js';

export interface UploadResult {
  sent: PendingRow[];
  failed: { table: string; rows: number; reason: string }[];
}

export async function uploadRows(
  config: Config,
  credential: TokenCredential,
  rows: PendingRow[],
  log?: (m: string) => void,
): Promise<UploadResult> {
  const s = config.sentinel;
  if (!s.ingestionEndpoint || !s.dcrImmutableId) {
    throw new PimopsError(
      'config-invalid',
      '--upload needs sentinel.ingestionEndpoint and sentinel.dcrImmutableId in the config (outputs of templates/tables-and-dcr.json)',
    );
  }
  const client = new LogsIngestionClient(s.ingestionEndpoint, credential, {
    audience: cloudEndpoints(config).ingestionAudience,
  });
  const result: UploadResult = { sent: [], failed: [] };
  const byTable = new Map<string, PendingRow[]>();
  for (const r of rows) {
    const list = byTable.get(r.table);
    if (list) list.push(r);
    else byTable.set(r.table, [r]);
  }
  for (const [table, pending] of byTable) {
    const stream = streamName(tableByName(table));
    const batches = batchBySize(pending);
    const failedIds = new Set<string>();
    const reasons = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        try {
          await client.upload(
            s.dcrImmutableId!,
            stream,
            batch.map((p) => redactDeep(p.payload)),
            { maxConcurrency: 1 },
          );
        } catch (err) {
          if (!isAggregateLogsUploadError(err))
            throw new PimopsError(
              'azure-request',
              `Upload of ${table} to ${stream} failed: ${redact(String((err as Error).message ?? err))}`,
            );
          for (const e of err.errors) {
            for (const l of e.failedLogs) failedIds.add(String(l.RowId));
            reasons.add(redact(String(e.cause?.message ?? e.cause)).split('\n')[0]);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.maxConcurrency, batches.length) }, worker));
    result.sent.push(...pending.filter((p) => !failedIds.has(p.rowId)));
    if (failedIds.size) {
      result.failed.push({ table, rows: failedIds.size, reason: [...reasons].join('; ') });
      log?.(
        `${table}: ${failedIds.size} of ${pending.length} rows refused (${[...reasons].join('; ')}); they are sent again next time`,
      );
    } else {
      log?.(`${table}: sent ${pending.length} rows in ${batches.length} call${batches.length === 1 ? '' : 's'}`);
    }
  }
  return result;
}

export const MAX_CALL_BYTES = 900_000;

/** Rows in order, cut so each batch's JSON array is at most MAX_CALL_BYTES of UTF-8. */
export function batchBySize(rows: PendingRow[], max = MAX_CALL_BYTES): PendingRow[][] {
  const out: PendingRow[][] = [];
  let cur: PendingRow[] = [];
  let size = 2;
  for (const r of rows) {
    const n = Buffer.byteLength(JSON.stringify(r.payload)) + 1;
    if (cur.length && size + n > max) {
      out.push(cur);
      cur = [];
      size = 2;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}
