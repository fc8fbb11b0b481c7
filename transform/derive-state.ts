// What the derivation remembers between runs (transform_state): how far it has derived, with which
// pairing window and models, whether the last run completed, and whether new files moved a coverage start.
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { modelSql } from './sql.js';
import { DERIVED_MODELS } from './models.js';
import { createHash } from 'node:crypto';

export interface DeriveState {
  complete: boolean;
  derivedSeq: number | null;
  pairingWindowHours: number | null;
  modelsHash: string | null;
}

/** The derived models' SQL as one fingerprint: tables derived by other SQL (an older pimops) are derived again in full. */
export function modelsHash(): string {
  return createHash('sha256')
    .update(DERIVED_MODELS.map((m) => modelSql(m)).join('\n'))
    .digest('hex')
    .slice(0, 16);
}

export async function readState(db: Db): Promise<DeriveState> {
  await db.run('CREATE TABLE IF NOT EXISTS transform_state (key VARCHAR PRIMARY KEY, value VARCHAR)');
  const rows = await db.all<{ key: string; value: string }>('SELECT key, value FROM transform_state');
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  return {
    complete: get('pim_derived_at') !== undefined,
    derivedSeq: num(get('derived_seq')),
    pairingWindowHours: num(get('pairing_window_hours')),
    modelsHash: get('models_hash') ?? null,
  };
}

export async function markIncomplete(db: Db): Promise<void> {
  await db.run(`CREATE TABLE IF NOT EXISTS transform_state (key VARCHAR PRIMARY KEY, value VARCHAR);
    DELETE FROM transform_state WHERE key = 'pim_derived_at';`);
}

export async function markComplete(db: Db, config: Config, derivedSeq: number): Promise<void> {
  await db.run(
    `INSERT OR REPLACE INTO transform_state VALUES
      ('derived_seq', $seq), ('pairing_window_hours', $w), ('models_hash', $h), ('pim_derived_at', now()::VARCHAR)`,
    { seq: String(derivedSeq), w: String(config.correlation.pairingWindowHours), h: modelsHash() },
  );
}

export async function stagedThrough(db: Db): Promise<number> {
  const r = await db.one<{ s: number | null }>(
    'SELECT max(seq) AS s FROM landing_files WHERE transformed_at IS NOT NULL',
  );
  return Number(r?.s ?? 0);
}

/** The earliest event per tenant and source kind in `events`. */
export const COVERAGE_SQL = (events: string) =>
  `SELECT tenant_id, coalesce(source_kind, 'file') AS source_kind, min(event_time) AS coverage_start FROM ${events} GROUP BY ALL`;

/**
 * Whether the files staged after `afterSeq` change the start of an activation the data did not hold,
 * outside the partitions they touch: earlier events for a (tenant, source kind) move its coverage
 * start, and a snapshot listing activated instances can give an unknown start. Both are rare (an
 * older export imported late; a snapshot when activations began before the log): derive in full
 * then. Otherwise the coverage of a (tenant, source kind) seen for the first time is recorded.
 */
export async function coverageMoved(db: Db, afterSeq: number, through: number): Promise<boolean> {
  const files = `SELECT landed_file FROM landing_files WHERE seq > ${afterSeq} AND seq <= ${through}`;
  await db.run(
    `CREATE OR REPLACE TEMP TABLE derive_coverage AS ${COVERAGE_SQL(`(SELECT * FROM main.audit_events WHERE landing_file IN (${files}))`)}`,
  );
  // The coverage an end of each held (tenant, source kind) sees, as pim_activations reads it (an event
  // of unknown tenant counts for every tenant), before and with the new events.
  const effective = (
    rows: string,
  ) => `SELECT k.tenant_id, k.source_kind, min(c.coverage_start) AS s FROM coverage_starts k
    JOIN (${rows}) c ON c.source_kind = k.source_kind AND (c.tenant_id IS NOT DISTINCT FROM k.tenant_id OR c.tenant_id IS NULL OR k.tenant_id IS NULL)
    GROUP BY ALL`;
  const r = await db.one<{ earlier: boolean; instances: boolean }>(`SELECT
      EXISTS (SELECT 1 FROM (${effective('SELECT * FROM coverage_starts')}) o
              JOIN (${effective('SELECT * FROM coverage_starts UNION ALL SELECT * FROM derive_coverage')}) n
              ON n.tenant_id IS NOT DISTINCT FROM o.tenant_id AND n.source_kind = o.source_kind WHERE n.s < o.s) AS earlier,
      EXISTS (SELECT 1 FROM activation_instances WHERE landing_file IN (${files}))
        AND EXISTS (SELECT 1 FROM pim_activations WHERE activated_at IS NULL) AS instances`);
  if (r?.earlier || r?.instances) return true;
  await db.run(`INSERT INTO coverage_starts SELECT * FROM derive_coverage n WHERE NOT EXISTS (SELECT 1 FROM coverage_starts c
      WHERE c.tenant_id IS NOT DISTINCT FROM n.tenant_id AND c.source_kind = n.source_kind);
    DROP TABLE derive_coverage;`);
  return false;
}
