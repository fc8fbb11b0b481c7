import type { Command } from 'commander';
import { configOf, optionsOf, out, periodOf, printJson, wantsJson, withPeriodOptions } from '../context.js';

export function register(program: Command): void {
  withPeriodOptions(
    program
      .command('metrics')
      .description('time to activate, approvals, active hours, standing assignments for a period'),
  ).action(async (_o, cmd: Command) => {
    const { requireDatabase } = await import('../../core/db.js');
    const { withReadOnlyDb } = await import('../pipeline.js');
    const { metricsReport } = await import('../../reports/metrics.js');
    const { metricsText } = await import('../../reports/metrics-text.js');
    const o = optionsOf(cmd);
    const config = configOf(o);
    const period = periodOf(o);
    requireDatabase(o.db);
    const report = await withReadOnlyDb(o.db, config, (db) => metricsReport(db, config, period));
    if (wantsJson(o)) printJson(report, true);
    else out(metricsText(report));
  });
}
