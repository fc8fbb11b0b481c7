// The Parquet lake read back by DuckDB as Spark and Fabric read it: tenant_id from the folder.
import { expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LAKE_TABLES } from '../reports/lake.js';
import type { Db } from '../core/db.js';

/** Each table read back from the lake (tenant_id from the folder, as Spark and Fabric read it) holds, per
 *  tenant, exactly the store's rows; a table without rows has no folder. */
export async function compareLake(db: Db, lake: string, glob = '*/*/*.parquet') {
  for (const [table, spec] of Object.entries(LAKE_TABLES)) {
    if (table === 'metric_values') continue; // a temp table of the export; checked below by its rows
    const byTenant = (from: string) =>
      db.all<{ t: string; n: bigint; h: bigint }>(
        `SELECT tenant_id AS t, count(*) AS n, bit_xor(hash(x)) AS h FROM (${from}) x GROUP BY 1 ORDER BY 1`,
      );
    const fromDb = await byTenant(
      `SELECT * EXCLUDE (tenant_id), coalesce(tenant_id, '__unknown') AS tenant_id FROM ${spec.source}`,
    );
    if (!fromDb.length) {
      expect(existsSync(join(lake, table)), table).toBe(false);
      continue;
    }
    const fromLake = await byTenant(
      `SELECT * EXCLUDE (event_date) FROM read_parquet('${lake}/${table}/${glob}', hive_partitioning = true)`,
    );
    expect(fromLake, table).toEqual(fromDb);
  }
}
