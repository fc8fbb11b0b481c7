import type { Command } from 'commander';
import { resolve } from 'node:path';
import { configOf, optionsOf, printJson, progressOf, stderr, wantsJson } from '../context.js';

export function register(exp: Command): void {
  exp
    .command('parquet')
    .description(
      'write the tables and metric values as a Parquet lake Hive-partitioned by tenant and day (tenant_id=ID/event_date=YYYY-MM-DD); incremental',
    )
    .requiredOption('--out <dir>', 'the lake folder')
    .action(async (_o, cmd: Command) => {
      const { requireDatabase } = await import('../../core/db.js');
      const { withDb } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const dir = String(o.out);
      requireDatabase(o.db);
      const { exportLake, lakeSizeBytes } = await import('../../reports/lake.js');
      const t0 = performance.now();
      // The lake is written by DuckDB's COPY, which the read-only sandbox forbids: a writer's session.
      const r = await withDb(o.db, config, (db) => exportLake(db, config, dir, progressOf(o)));
      const summary = { ...r, seconds: Math.round((performance.now() - t0) / 100) / 10, bytes: lakeSizeBytes(dir) };
      if (wantsJson(o)) printJson(summary);
      for (const w of r.warnings) stderr(`warning: ${w}`);
      stderr(
        `lake ${resolve(dir)}: ${r.tables} tables, ${r.rows} rows; ${r.partitionsWritten} partitions written, ` +
          `${r.partitionsUnchanged} unchanged, ${r.partitionsRemoved} removed` +
          (r.legacyPartitionsRemoved
            ? `; moved to tenant partitions, ${r.legacyPartitionsRemoved} day partitions of the layout before tenants removed`
            : '') +
          ` (${(summary.bytes / 2 ** 20).toFixed(1)} MiB)`,
      );
    });
}
