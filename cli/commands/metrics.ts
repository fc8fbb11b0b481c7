import type { Command } from 'commander';
import { requireDatabase } from '../../core/db.js';
import { withReadOnlyDb } from '../pipeline.js';
import { metricsReport } from '../../reports/metrics.js';
import { metricsText } from '../../reports/metrics-text.js';
import { configOf, optionsOf, out, periodOf, printJson, wantsJson, withPeriodOptions } from '../context.js';

export function register(program: Command): void {
  withPeriodOptions(
    program.command('metrics').description('time to activate, approvals, active hours, standing assignments for a period'),
  ).action(async (_o, cmd: Command) => {
    const o = optionsOf(cmd);
    const config = configOf(o);
    const period = periodOf(o);
    requireDatabase(o.db);
    const report = await withReadOnlyDb(o.db, config, (db) => metricsReport(db, config, period));
    if (wantsJson(o)) printJson(report, true);
    else out(metricsText(report));
  });
}
