// `pimops demo`: a generated tenant landed, transformed and measured, so a fresh clone shows what
// pimops does with one command. The generator is loaded only here.
import type { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../../core/config.js';
import { PimopsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/output.js';
import { importPaths, withReadOnlyDb } from '../pipeline.js';
import { metricsReport } from '../../reports/metrics.js';
import { metricsText } from '../../reports/metrics-text.js';
import { runChecks, summarize, atOrAbove, SEVERITIES } from '../../reports/checks.js';
import { configOf, optionsOf, out, printJson, progressOf, stderr, wantsJson } from '../context.js';

const DEMO = {
  start: new Date('2026-07-01T00:00:00Z'),
  days: 123,
  from: new Date('2026-10-01T00:00:00Z'),
  to: new Date('2026-11-01T00:00:00Z'),
};

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a demo tenant, land it, transform it into the database and print the metrics')
    .option('--seed <n>', 'generator seed', '42')
    .option('--admins <n>', 'number of admins', '40')
    .option('--dir <dir>', 'where the demo audit files are written', './pimops-demo')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf(cmd);
      const config = configOf(o);
      const seed = Number(o.seed);
      const admins = Number(o.admins);
      if (!Number.isInteger(seed) || !Number.isInteger(admins) || admins < 1) {
        throw new PimopsError('usage', '--seed and --admins take whole numbers (admins ≥ 1)');
      }
      const { generateTenant, emitFiles, emitSignIns, emitSnapshot } = await import('../../fixtures/generator/index.js');
      const tenant = generateTenant({ seed, admins, start: DEMO.start, days: DEMO.days });
      const dir = resolve(String(o.dir));
      if (existsSync(dir)) rmSync(dir, { recursive: true });
      const emitted = emitFiles(tenant.records, tenant.tenant.id, { dir, seed });
      emitSignIns(tenant.signIns, dir);
      emitSnapshot(tenant, dir, DEMO.to);
      stderr(
        `demo tenant (seed ${seed}, ${admins} admins, ${DEMO.start.toISOString().slice(0, 10)} + ${DEMO.days} days): ` +
          `${emitted.distinct} audit records written as ${emitted.files.length} files in ${dir} ` +
          `(${emitted.written - emitted.distinct} repeated by overlapping pulls)`,
      );
      const demoConfig: Config = config.breakGlassAccounts.length
        ? config
        : { ...config, breakGlassAccounts: tenant.breakGlass.map((b) => b.upn!) };
      // The demo's break-glass accounts, for the commands that follow (pimops metrics / checks --config …).
      writeFileAtomic(
        'pimops-demo.config.json',
        JSON.stringify({ breakGlassAccounts: demoConfig.breakGlassAccounts }, null, 2) + '\n',
      );
      const summary = await importPaths(o.db, demoConfig, [dir], progressOf(o));
      stderr(
        `imported into ${resolve(o.db)}: ${summary.files} files, ${summary.records} records: ${summary.new} new, ` +
          `${summary.duplicates} duplicates, ${summary.quarantined} quarantined`,
      );
      const period = { from: DEMO.from, to: DEMO.to, asOf: DEMO.to };
      const { report, findings } = await withReadOnlyDb(o.db, demoConfig, async (db) => ({
        report: await metricsReport(db, demoConfig, period),
        findings: await runChecks(db, demoConfig, period),
      }));
      if (wantsJson(o)) {
        printJson({ ...report, findings: summarize(findings) }, true);
        return;
      }
      out(metricsText(report));
      const s = summarize(findings);
      out(`\nFindings (pimops checks): ${[...SEVERITIES].reverse().map((x) => `${s[x]} ${x}`).join(', ')}\n`);
      for (const f of atOrAbove(findings, 'high')) out(`  ${f.severity.padEnd(8)} ${f.detail}\n`);
      stderr(
        '\nnext: npx pimops checks --config pimops-demo.config.json --from 2026-10-01 --to 2026-11-01 | ' +
          'npx pimops report --config pimops-demo.config.json --period 2026-10 | npx pimops shell',
      );
    });
}
