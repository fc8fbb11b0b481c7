import type { Command } from 'commander';
import { resolve } from 'node:path';
import { PimopsError } from '../../core/errors.js';
import { configOf, optionsOf, periodOf, printJson, stderr, wantsJson, withPeriodOptions } from '../context.js';

export function register(exp: Command): void {
  withPeriodOptions(
    exp
      .command('sentinel')
      .description(
        'payloads for the PIM custom tables (rows new or changed since the last upload), ARM templates for the tables and DCR, ' +
          'workbooks, analytics rules, watchlists and the metrics as KQL',
      )
      .requiredOption('--out <dir>', 'where the files go')
      .option(
        '--upload',
        'send the pending rows with the Logs Ingestion API (sentinel.* in the config) and remember them',
      )
      .option('--full', 'send every current row again, not only new and changed ones (a new workspace)'),
    'the moment standing access and findings are taken at (default: now)',
  ).action(async (_o, cmd: Command) => {
    const { requireDatabase } = await import('../../core/db.js');
    const { withDb } = await import('../pipeline.js');
    const o = optionsOf(cmd);
    const config = configOf(o);
    const dir = String(o.out);
    requireDatabase(o.db);
    const period = periodOf(o);
    if (!o.asOf) period.asOf = new Date();
    const { exportSentinel } = await import('../../reports/sentinel/index.js');
    const { createCredential } = await import('../../core/azure.js');
    // Writes sentinel_sent (what the workspace has accepted): a writer's session.
    const r = await withDb(o.db, config, (db) =>
      exportSentinel(db, config, dir, {
        period,
        upload: Boolean(o.upload),
        full: Boolean(o.full),
        credential: () => createCredential(config),
        log: (m) => stderr(m),
      }),
    );
    if (wantsJson(o)) printJson(r);
    // Watchlist values stay exact (KQL joins on them); one a spreadsheet would run as a formula is named here.
    for (const w of r.warnings) stderr(`warning: ${w}`);
    const lines = Object.entries(r.tables).map(
      ([t, v]) =>
        `  ${t}: ${v.current} rows, ${v.pending} to send (${v.tombstones} removals)` +
        (r.uploaded ? `, ${v.sent} sent${v.failed ? `, ${v.failed} refused` : ''}` : ''),
    );
    stderr(`sentinel export in ${resolve(dir)} (${r.files.length} files):\n${lines.join('\n')}`);
    if (r.failures.length) {
      const rows = r.failures.reduce((n, f) => n + f.rows, 0);
      const why = r.failures.map((f) => `${f.table}: ${f.reason}`).join('; ');
      throw new PimopsError(
        'azure-request',
        `The ingestion API refused ${rows} rows (${why}); they are sent again next time`,
      );
    }
  });
}
