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
      .option('--full', 'send every current row again, not only new and changed ones (a new workspace)')
      .option(
        '--all-tenants',
        "each tenant of the store in turn, into <out>/<tenant>/, to its own workspace's DCR or the shared one",
      ),
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
    const { exportSentinelStore, exportDbConfig } = await import('../../reports/sentinel/index.js');
    const { createCredential } = await import('../../core/azure.js');
    const { label } = await import('../../core/tenants.js');
    const { terminalText } = await import('../../reports/neutralise.js');
    // Writes sentinel_sent (what each workspace has accepted): a writer's session.
    const each = await withDb(o.db, exportDbConfig(config), (db) =>
      exportSentinelStore(db, config, dir, {
        period,
        tenant: o.tenant,
        allTenants: Boolean(o.allTenants),
        upload: Boolean(o.upload),
        full: Boolean(o.full),
        credential: (c) => createCredential(c),
        log: (m) => stderr(terminalText(m)),
      }),
    );
    if (wantsJson(o)) {
      if (o.allTenants)
        printJson({
          tenants: each.map(({ tenant, dir: d, result }) => ({
            tenant: tenant?.id ?? null,
            name: tenant?.name ?? null,
            dir: resolve(d),
            ...result,
          })),
        });
      else printJson({ tenant: each[0].tenant?.id ?? null, ...each[0].result });
    }
    const refused: string[] = [];
    let rowsRefused = 0;
    for (const { tenant, dir: d, result: r } of each) {
      const who = o.allTenants && tenant ? `${terminalText(label(tenant))}: ` : '';
      // Watchlist values stay exact (KQL joins on them); one a spreadsheet would run as a formula is named here.
      for (const w of r.warnings) stderr(`warning: ${who}${w}`);
      const lines = Object.entries(r.tables).map(
        ([t, v]) =>
          `  ${t}: ${v.current} rows, ${v.pending} to send (${v.tombstones} removals)` +
          (r.uploaded ? `, ${v.sent} sent${v.failed ? `, ${v.failed} refused` : ''}` : ''),
      );
      stderr(`${who}sentinel export in ${terminalText(resolve(d))} (${r.files.length} files):\n${lines.join('\n')}`);
      for (const f of r.failures) refused.push(`${who}${f.table}: ${f.reason}`);
      rowsRefused += r.failures.reduce((n, f) => n + f.rows, 0);
    }
    if (refused.length)
      throw new PimopsError(
        'azure-request',
        `The ingestion API refused ${rowsRefused} rows (${refused.join('; ')}); they are sent again next time`,
      );
  });
}
