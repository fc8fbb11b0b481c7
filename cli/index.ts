// The entry point: declares the global options, registers one module per command (cli/commands/),
// and maps typed errors to exit codes (0 ok, 1 failure or target breached, 2 usage). What a command
// does lives in the stages; a command module only parses its options and composes them.
import { Command, CommanderError, Option } from 'commander';
import { asPimopsError } from '../core/errors.js';
import { redact, registerSecret } from '../core/redact.js';
import { pimopsVersion } from '../core/version.js';
import { out, stderr } from './context.js';
import * as checks from './commands/checks.js';
import * as demo from './commands/demo.js';
import * as doctor from './commands/doctor.js';
import * as evidence from './commands/evidence.js';
import * as explainRequest from './commands/explain-request.js';
import * as exportParquet from './commands/export-parquet.js';
import * as exportSentinel from './commands/export-sentinel.js';
import * as importCmd from './commands/import.js';
import * as ingestGraph from './commands/ingest-graph.js';
import * as ingestLogAnalytics from './commands/ingest-log-analytics.js';
import * as ingestSnapshot from './commands/ingest-snapshot.js';
import * as metrics from './commands/metrics.js';
import * as prune from './commands/prune.js';
import * as query from './commands/query.js';
import * as rebuild from './commands/rebuild.js';
import * as report from './commands/report.js';
import * as run from './commands/run.js';
import * as shell from './commands/shell.js';
import * as sql from './commands/sql.js';
import * as transform from './commands/transform.js';

/** `run` answers with its summary line and sets the exit code itself, without a second error message. */
let deferredExitCode = 0;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pimops')
    .description('Microsoft Entra PIM operations analytics from audit logs, in DuckDB')
    .option('--db <file>', 'DuckDB database file', './pimops.duckdb')
    .option('--config <file>', 'config file (default: ./pimops.config.json when present)')
    .addOption(
      new Option('--format <format>', 'output format').choices([
        'table',
        'csv',
        'json',
        'ndjson',
        'markdown',
        'arrow',
        'parquet',
      ]),
    )
    .option(
      '--tenant <id|name>',
      'one tenant of a store that holds several (its id or configured name); for import: the tenant of records that name none',
    )
    .option('--json', 'same as --format json')
    .option('-v, --verbose', 'progress for every file on stderr')
    .version(pimopsVersion(), '-V, --version', 'the pimops version')
    .showHelpAfterError()
    .exitOverride();

  for (const c of [demo, importCmd, transform, rebuild, prune, metrics, checks, report, evidence]) c.register(program);
  run.register(program, (code) => (deferredExitCode = code));
  for (const c of [query, sql]) c.register(program);
  const ingest = program
    .command('ingest')
    .description('pull audit data from Azure into the landing store, then transform');
  for (const c of [ingestGraph, ingestLogAnalytics, ingestSnapshot]) c.register(ingest);
  for (const c of [shell, explainRequest, doctor]) c.register(program);
  const exp = program.command('export').description('hand the data to other engines');
  for (const c of [exportParquet, exportSentinel]) c.register(exp);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  deferredExitCode = 0;
  // Audit data names people: everything pimops writes is for its owner only.
  process.umask(0o077);
  registerSecret(process.env.AZURE_CLIENT_SECRET);
  // A tenant's own secret (AZURE_CLIENT_SECRET__<TENANT>) is as secret as the shared one.
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('AZURE_CLIENT_SECRET__')) registerSecret(v);
  registerSecret(process.env.PIMOPS_WEBHOOK_URL);
  registerSecret(process.env.PIMOPS_PSEUDONYM_KEY);
  const program = buildProgram();
  const wantsJson =
    argv.includes('--json') || argv.includes('--format=json') || argv.join(' ').includes('--format json');
  try {
    await program.parseAsync(argv);
    return deferredExitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return 0;
      if (wantsJson) out(JSON.stringify({ error: err.message, code: 'usage' }) + '\n');
      return 2;
    }
    let e = asPimopsError(err);
    // A reader failing on a store an earlier pimops made says so, and which writer to run, not DuckDB's words.
    if (e.code === 'internal') {
      const { outdatedStoreError } = await import('../transform/schema-check.js');
      e = (await outdatedStoreError(String(program.opts().db)).catch(() => undefined)) ?? e;
    }
    if (wantsJson) process.stdout.write(JSON.stringify({ error: redact(e.message), code: e.code }) + '\n');
    else stderr(`pimops: ${e.message}`);
    if (e.code === 'internal' && process.env.PIMOPS_DEBUG && err instanceof Error) stderr(err.stack ?? '');
    return e.exitCode;
  }
}
