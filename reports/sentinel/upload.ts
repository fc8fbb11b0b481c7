// Sends rows with the Logs Ingestion API through the official client (it gzips and retries 429/5xx).
// Batches are cut here at 900,000 bytes of UTF-8 JSON: the installed client (1.2.0,
// splitDataToChunks) sums each row's JSON in UTF-8 bytes up to 1,000,000 but leaves the array's
// brackets and commas uncounted, so its chunks can pass the 1 MB call limit by a byte per row.
// Rows arrive a stream batch at a time (a table is streamed from DuckDB): at most maxConcurrency
// batches are in flight and one is being filled, so memory is bounded by the batch, not the table.
// A batch the service refuses comes back in AggregateLogsUploadError: its RowIds are kept (only
// those: nothing when all goes well) so they are not recorded as sent and the next export sends
// them again; the rest are recorded.
import { LogsIngestionClient, isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../../core/config.js';
import { PimopsError } from '../../core/errors.js';
import { cloudEndpoints } from '../../core/cloud.js';
import { redactDeep, redact } from '../../core/redact.js';
import type { Payload } from './rows.js';
import { tableByName, streamName } from './tables.js';

export const MAX_CALL_BYTES = 900_000;

/** A row to send, as the export held it before streaming (kept for callers that have a few rows in hand). */
export interface PendingRow {
  table: string;
  rowId: string;
  hash: string | null;
  eventTime: string | null;
  deleted: boolean;
  payload: Payload;
}

export interface Destination {
  client: LogsIngestionClient;
  dcrImmutableId: string;
  maxConcurrency: number;
}

/** The ingestion client for the DCR the configuration names; refuses a configuration that names none. */
export function destination(config: Config, credential: TokenCredential): Destination {
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
  return { client, dcrImmutableId: s.dcrImmutableId, maxConcurrency: s.maxConcurrency };
}

interface Batch {
  rows: Payload[];
  ids: string[];
  bytes: number;
}

/** One table's rows on their way to one stream of the DCR, in the order they are added. */
export class TableUpload {
  readonly stream: string;
  added = 0;
  sent = 0;
  calls = 0;
  refusedRows = 0;
  /** The RowIds of each refused call. */
  readonly refused: string[][] = [];
  readonly reasons = new Set<string>();
  private batch: Batch | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private fatal: PimopsError | null = null;

  constructor(
    private readonly to: Destination,
    readonly table: string,
  ) {
    this.stream = streamName(tableByName(table));
  }

  /**
   * Adds rows in order; waits only while maxConcurrency batches are in flight and the next is full.
   * `json`: the payload as JSON when the caller has it already (its size is what counts).
   */
  async add(rows: { rowId: string; payload: Payload; json?: string }[]): Promise<void> {
    if (this.fatal) throw this.fatal;
    for (const { rowId, payload, json } of rows) {
      const n = Buffer.byteLength(json ?? JSON.stringify(payload)) + 1;
      if (this.batch && this.batch.bytes + n > MAX_CALL_BYTES) await this.dispatch();
      this.batch ??= { rows: [], ids: [], bytes: 2 };
      this.batch.rows.push(redactDeep(payload));
      this.batch.ids.push(rowId);
      this.batch.bytes += n;
      this.added++;
    }
  }

  /** Sends what is left and waits for every call; throws what stopped the upload (not a refusal). */
  async finish(): Promise<void> {
    if (this.batch) await this.dispatch();
    await Promise.all(this.inFlight);
    if (this.fatal) throw this.fatal;
  }

  private async dispatch(): Promise<void> {
    const batch = this.batch!;
    this.batch = null;
    while (this.inFlight.size >= this.to.maxConcurrency) await Promise.race(this.inFlight);
    if (this.fatal) throw this.fatal;
    const p = this.send(batch).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async send(batch: Batch): Promise<void> {
    this.calls++;
    try {
      await this.to.client.upload(this.to.dcrImmutableId, this.stream, batch.rows, { maxConcurrency: 1 });
      this.sent += batch.rows.length;
    } catch (err) {
      if (!isAggregateLogsUploadError(err)) {
        this.fatal ??= new PimopsError(
          'azure-request',
          `Upload of ${this.table} to ${this.stream} failed: ${redact(String((err as Error).message ?? err))}`,
        );
        return;
      }
      // The batch is one call: what the service refused of it is resent whole next time.
      const refused = err.errors.reduce((n, e) => n + e.failedLogs.length, 0);
      this.refusedRows += refused;
      this.sent += batch.rows.length - refused;
      this.refused.push(batch.ids);
      for (const e of err.errors) this.reasons.add(redact(String(e.cause?.message ?? e.cause)).split('\n')[0]);
    }
  }

  /** One line for the person running the export. */
  summary(): string {
    if (this.refused.length)
      return `${this.table}: ${this.refusedRows} of ${this.added} rows refused (${[...this.reasons].join('; ')}); they are sent again next time`;
    return `${this.table}: sent ${this.added} rows in ${this.calls} call${this.calls === 1 ? '' : 's'}`;
  }
}

export interface UploadResult {
  sent: PendingRow[];
  failed: { table: string; rows: number; reason: string }[];
}

/** Rows in hand, table by table (the streaming export uses TableUpload directly). */
export async function uploadRows(
  config: Config,
  credential: TokenCredential,
  rows: PendingRow[],
  log?: (m: string) => void,
): Promise<UploadResult> {
  const to = destination(config, credential);
  const result: UploadResult = { sent: [], failed: [] };
  const byTable = new Map<string, PendingRow[]>();
  for (const r of rows) {
    const list = byTable.get(r.table);
    if (list) list.push(r);
    else byTable.set(r.table, [r]);
  }
  for (const [table, pending] of byTable) {
    const up = new TableUpload(to, table);
    await up.add(pending);
    await up.finish();
    const refused = new Set(up.refused.flat());
    for (const r of pending) if (!refused.has(r.rowId)) result.sent.push(r);
    if (up.refused.length) result.failed.push({ table, rows: up.refusedRows, reason: [...up.reasons].join('; ') });
    log?.(up.summary());
  }
  return result;
}
