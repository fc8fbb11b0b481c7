// `pimops demo`: a generated tenant landed, transformed and measured, so a fresh clone shows what
// pimops does with one command. The generator is loaded only here.
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../core/config.js';
import { PimopsError } from '../../core/errors.js';
import { lastFullMonth, parseMonth } from '../../core/time.js';
import { configOf, optionsOf, out, printJson, progressOf, stderr, wantsJson } from '../context.js';
import { terminalText } from '../../reports/neutralise.js';

/** Four full calendar months ending with `through`: the demo's last month is the one reports show by default. */
function demoWindow(through: string | undefined, now = new Date()) {
  const month = through ? parseMonth(through, '--through') : lastFullMonth(now);
  const start = new Date(Date.UTC(month.from.getUTCFullYear(), month.from.getUTCMonth() - 3, 1));
  const days = Math.round((month.to.getTime() - start.getTime()) / 86_400_000);
  return { start, days, from: month.from, to: month.to, label: month.from.toISOString().slice(0, 7) };
}

const MARKER = '.pimops-demo.json';
const CONFIG_FILE = 'pimops-demo.config.json';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function readMarker(dir: string): { configSha256?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as { configSha256?: string };
  } catch {
    return undefined;
  }
}

async function demoStoreMark(dbPath: string): Promise<string | undefined> {
  const { Db } = await import('../../core/db.js');
  const db = await Db.openReadOnly(dbPath);
  try {
    const r = await db.one<{ value: string }>("SELECT value FROM transform_state WHERE key = 'demo_config_sha256'");
    return r?.value ?? undefined;
  } catch {
    return undefined; // no transform_state: not a store any demo made
  } finally {
    db.close();
  }
}

/**
 * The demo deletes its folder, overwrites its config file and imports into the store: each only when
 * it is absent or was made by an earlier demo (a marker), so a mistyped --dir or --db never costs data.
 */
async function refuseToDestroy(dir: string, dbPath: string, configFile: string): Promise<void> {
  const problems: string[] = [];
  const marker = existsSync(dir) ? readMarker(dir) : undefined;
  if (existsSync(dir) && !marker)
    problems.push(`--dir ${dir} exists and was not made by pimops demo (it would be deleted)`);
  const storeMark = existsSync(dbPath) ? await demoStoreMark(dbPath) : undefined;
  if (existsSync(dbPath) && !storeMark) {
    problems.push(`--db ${dbPath} is a store pimops demo did not make (demo records would be added to it)`);
  }
  if (existsSync(configFile)) {
    const sum = sha256(configFile);
    if (sum !== marker?.configSha256 && sum !== storeMark) {
      problems.push(`${configFile} exists and is not the one an earlier demo wrote (it would be overwritten)`);
    }
  }
  if (problems.length) {
    throw new PimopsError(
      'usage',
      `pimops demo refuses to destroy what it did not make:\n  ${problems.join('\n  ')}\n` +
        'Run it in an empty folder, choose other --dir / --db paths, or give --force.',
    );
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a demo tenant, land it, transform it into the database and print the metrics')
    .option('--seed <n>', 'generator seed', '42')
    .option('--admins <n>', 'number of admins', '40')
    .option('--through <YYYY-MM>', 'the last of the four months the demo covers (default: the last full month)')
    .option('--dir <dir>', 'where the demo audit files are written', './pimops-demo')
    .option(
      '--tenants <n>',
      'several tenants in one store (2 or more: one requires approval on every tier-0 role, one has no snapshots, one is Free tier with 7 days of log)',
    )
    .option('--force', 'replace the folder, config file and store even if an earlier demo did not make them')
    .action(async (_o, cmd: Command) => {
      const { writeFileAtomic } = await import('../../core/output.js');
      const { importPaths, withDb, withReadOnlyDb } = await import('../pipeline.js');
      const { metricsReport } = await import('../../reports/metrics.js');
      const { metricsText } = await import('../../reports/metrics-text.js');
      const { runChecks, summarize, atOrAbove, SEVERITIES } = await import('../../reports/checks.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const seed = Number(o.seed);
      const admins = Number(o.admins);
      if (!Number.isInteger(seed) || !Number.isInteger(admins) || admins < 1) {
        throw new PimopsError('usage', '--seed and --admins take whole numbers (admins ≥ 1)');
      }
      const dir = resolve(String(o.dir));
      const configFile = resolve(CONFIG_FILE);
      if (!o.force) await refuseToDestroy(dir, resolve(o.db), configFile);
      const { generateTenant, emitFiles, emitSignIns, emitSnapshot } =
        await import('../../fixtures/generator/index.js');
      const DEMO = demoWindow(o.through as string | undefined);
      if (o.tenants !== undefined) {
        const n = Number(o.tenants);
        if (!Number.isInteger(n) || n < 2 || n > 20)
          throw new PimopsError('usage', '--tenants takes a whole number from 2 to 20');
        const { demoTenants } = await import('../demo-tenants.js');
        await demoTenants({ o, config, seed, admins, n, dir, configFile, window: DEMO, marker: MARKER, sha256 });
        return;
      }
      const tenant = generateTenant({ seed, admins, start: DEMO.start, days: DEMO.days });
      if (existsSync(dir)) rmSync(dir, { recursive: true });
      const emitted = emitFiles(tenant.records, tenant.tenant.id, { dir, seed });
      emitSignIns(tenant.signIns, dir);
      emitSnapshot(tenant, dir, DEMO.to);
      // PIM for Groups and Azure resources: their state too, so the report shows every plane.
      const { emitPlaneSnapshot } = await import('../../fixtures/generator/planes.js');
      emitPlaneSnapshot(tenant, dir, DEMO.to);
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
        configFile,
        JSON.stringify({ breakGlassAccounts: demoConfig.breakGlassAccounts }, null, 2) + '\n',
      );
      const configSha256 = sha256(configFile);
      writeFileAtomic(join(dir, MARKER), JSON.stringify({ madeBy: 'pimops demo', seed, admins, configSha256 }) + '\n');
      const summary = await importPaths(o.db, demoConfig, [dir], progressOf(o));
      await withDb(o.db, demoConfig, (db) =>
        db.run("INSERT OR REPLACE INTO transform_state VALUES ('demo_config_sha256', $sum)", { sum: configSha256 }),
      );
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
      out(
        `\nFindings (pimops checks): ${[...SEVERITIES]
          .reverse()
          .map((x) => `${s[x]} ${x}`)
          .join(', ')}\n`,
      );
      for (const f of atOrAbove(findings, 'high')) out(`  ${f.severity.padEnd(8)} ${terminalText(f.detail)}\n`);
      stderr(
        `\nnext: npx pimops checks --config pimops-demo.config.json --period ${DEMO.label} | ` +
          `npx pimops report --config pimops-demo.config.json --period ${DEMO.label} | npx pimops shell`,
      );
    });
}
