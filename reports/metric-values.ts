// The metrics as one long table: a value per (month, plane, metric, measure, dimensions), for the
// Parquet lake and the PIMMetrics_CL custom table. Values come from the named metric queries, by id.
import { addMonths } from 'date-fns';
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { runQuery, pickParams } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { configFor } from '../core/config.js';
import { scopeToTenant, storeTenants } from '../core/tenants.js';

export const METRIC_VALUE_QUERIES = [
  'time_to_activate',
  'approval_outcomes',
  'approval_rate_by_role',
  'active_hours',
] as const;

export interface MetricValue {
  month_start: string;
  month: string;
  plane: string | null;
  metric_id: string;
  measure: string;
  dimensions: string;
  value: number;
}

/** Every calendar month from the first to the last audit record; a month still running is measured as of the newest record. */
export async function metricValues(db: Db, config: Config): Promise<MetricValue[]> {
  const span = await db.one<{ first: Date | null; last: Date | null }>(
    'SELECT min(event_time) AS first, max(event_time) AS last FROM audit_events',
  );
  if (!span?.first || !span.last) return [];
  const out: MetricValue[] = [];
  for (
    let m = new Date(Date.UTC(span.first.getUTCFullYear(), span.first.getUTCMonth(), 1));
    m <= span.last;
    m = addMonths(m, 1)
  ) {
    const to = addMonths(m, 1);
    const asOf = to < span.last ? to : span.last;
    const params = configParams(config, { from: m, to, asOf });
    for (const id of METRIC_VALUE_QUERIES) {
      for (const r of await runQuery(db, id, pickParams(id, params))) {
        const dims: Record<string, unknown> = {};
        const measures: [string, number][] = [];
        for (const [k, v] of Object.entries(r)) {
          if (k === 'plane') continue;
          // 12 significant digits: parallel float sums differ in the last bits from run to run.
          if (typeof v === 'number' || typeof v === 'bigint') measures.push([k, Number(Number(v).toPrecision(12))]);
          else if (typeof v === 'boolean') measures.push([k, v ? 1 : 0]);
          else dims[k] = v;
        }
        for (const [measure, value] of measures) {
          out.push({
            month_start: m.toISOString(),
            month: m.toISOString().slice(0, 7),
            plane: (r.plane as string | null) ?? null,
            metric_id: id,
            measure,
            dimensions: JSON.stringify(dims),
            value,
          });
        }
      }
    }
  }
  return out;
}

/**
 * The metric values of every tenant of the store, each tagged with its tenant: a tenant's values are
 * what its own reader answers (`metrics --tenant`), computed through the scoped views on a second
 * connection, so this one stays unscoped. A store of one tenant (or none known) is measured whole,
 * as applyTenant answers it.
 */
export async function metricValuesByTenant(
  db: Db,
  config: Config,
): Promise<(MetricValue & { tenant_id: string | null })[]> {
  const tenants = await storeTenants(db, config);
  if (tenants.length <= 1) {
    const id = tenants[0]?.id ?? null;
    return (await metricValues(db, configFor(config, id))).map((v) => ({ tenant_id: id, ...v }));
  }
  const scoped = await db.fork();
  try {
    const out: (MetricValue & { tenant_id: string | null })[] = [];
    for (const t of tenants) {
      await scopeToTenant(scoped, t.id);
      for (const v of await metricValues(scoped, configFor(config, t.id))) out.push({ tenant_id: t.id, ...v });
    }
    return out;
  } finally {
    scoped.close();
  }
}
