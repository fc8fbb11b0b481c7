import type { Command } from 'commander';
import { configOf, optionsOf, out, periodOf, printJson, wantsJson, withPeriodOptions } from '../context.js';

export function register(program: Command): void {
  withPeriodOptions(
    program
      .command('metrics')
      .description('time to activate, approvals, active hours, standing assignments for a period')
      .option('--all-tenants', 'every tenant of the store in turn (JSON: tenants[])'),
  ).action(async (_o, cmd: Command) => {
    const { requireDatabase } = await import('../../core/db.js');
    const { withTenantDb, forEachTenant } = await import('../pipeline.js');
    const { metricsReport } = await import('../../reports/metrics.js');
    const { metricsText } = await import('../../reports/metrics-text.js');
    const { label } = await import('../../core/tenants.js');
    const { terminalText } = await import('../../reports/neutralise.js');
    const o = optionsOf(cmd);
    const config = configOf(o);
    const period = periodOf(o);
    requireDatabase(o.db);
    if (o.allTenants) {
      const each = await forEachTenant(o.db, config, (db, c) => metricsReport(db, c, period));
      if (wantsJson(o))
        printJson(
          { tenants: each.map(({ tenant, result }) => ({ tenant: tenant.id, name: tenant.name ?? null, ...result })) },
          true,
        );
      else for (const { tenant, result } of each) out(`# ${terminalText(label(tenant))}\n${metricsText(result)}\n`);
      return;
    }
    const report = await withTenantDb(o.db, config, o.tenant, (db, c) => metricsReport(db, c, period));
    if (wantsJson(o)) printJson(report, true);
    else out(metricsText(report));
  });
}
