import { Option, type Command } from 'commander';
import type { ReportType } from '../../reports/report-file.js';
import { configOf, optionsOf, periodOf, stderr } from '../context.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('the metric report people read: targets, change, charts, findings, coverage (html, md or json)')
    .option('--period <YYYY-MM>', 'a calendar month (UTC)')
    .option('--from <date>', 'period start, inclusive')
    .option('--to <date>', 'period end, exclusive')
    .option('--as-of <time>', 'as-of time (default: period end, or now)')
    .option('--compare <n>', 'previous periods to compare with ("previous" = 1)', '2')
    .option('--out <path>', 'where to write (default: ./pimops-reports/pimops-<from>.<ext>)')
    .option('--all-tenants', "each tenant's report and one summary row per tenant and target")
    .option('--pseudonymize', 'replace people by stable keyed aliases (key: PIMOPS_PSEUDONYM_KEY)')
    .addOption(
      new Option('--type <type>', 'html, md or json (default: from --out, else html)').choices(['html', 'md', 'json']),
    )
    .action(async (_o, cmd: Command) => {
      const { requireDatabase } = await import('../../core/db.js');
      const { writeReport } = await import('../../reports/report-file.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const period = periodOf(o);
      requireDatabase(o.db);
      const request = {
        compare: o.compare === 'previous' ? 1 : Number(o.compare),
        pseudonymize: Boolean(o.pseudonymize),
        out: o.out as string | undefined,
        type: (o.type as ReportType | undefined) ?? (o.json ? 'json' : undefined),
        tenant: o.tenant,
      };
      if (o.allTenants) {
        const { writeTenantsReport, tenantsLine } = await import('../../reports/tenants-report.js');
        const r = await writeTenantsReport(o.db, config, period, request);
        for (const f of r.reports) stderr(`report: ${f}`);
        stderr(`summary: ${r.summary} (${tenantsLine(r.model)})`);
        return;
      }
      const written = await writeReport(o.db, config, period, request);
      stderr(`report: ${written}`);
    });
}
