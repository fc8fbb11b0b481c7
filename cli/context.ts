// What every command shares: the global options, the two output channels (data on stdout, progress
// on stderr, both redacted), the config loaded once at the edge, and the period options.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../core/config.js';
import { redact, redactRegistered } from '../core/redact.js';
import { resolvePeriod, type Period } from '../core/time.js';
import { terminalText } from '../reports/neutralise.js';
import type { ImportSummary } from './pipeline.js';

export interface GlobalOptions {
  db: string;
  config?: string;
  format?: string;
  json?: boolean;
  verbose?: boolean;
  tenant?: string;
}

/** A command's own options with the global ones, as commander hands them to an action. */
export type Options = GlobalOptions & Record<string, unknown>;

export function optionsOf(cmd: Command): Options {
  return cmd.optsWithGlobals<Options>();
}

export function wantsJson(o: GlobalOptions): boolean {
  return Boolean(o.json) || o.format === 'json';
}

export function configOf(o: GlobalOptions): Config {
  return loadConfig(o.config);
}

/** Progress and errors: redacted, and data quoted in them (a UPN in a DuckDB error) cannot drive the terminal. */
export function stderr(message: string): void {
  process.stderr.write(terminalText(redact(message), { multiline: true }) + '\n');
}

export function out(text: string): void {
  process.stdout.write(redactRegistered(text));
}

export function printJson(value: unknown, pretty = false): void {
  out(JSON.stringify(value, null, pretty ? 2 : undefined) + '\n');
}

/** Per-file progress on stderr under --verbose. */
export function progressOf(o: GlobalOptions): ((message: string) => void) | undefined {
  return o.verbose ? stderr : undefined;
}

/** An option's value when it is text (commander gives strings for options that take a value). */
export function optString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const str = optString;

/** --from / --to / --as-of on a command, with the help text that says what they default to. */
export function withPeriodOptions(
  cmd: Command,
  asOfHelp = 'when open activations are cut and standing access is read (default: period end, or now)',
): Command {
  return cmd
    .option('--period <YYYY-MM>', 'a calendar month (UTC), instead of --from/--to')
    .option('--from <date>', 'period start, inclusive (default: first day of last month, UTC)')
    .option('--to <date>', 'period end, exclusive (default: first day of this month, UTC)')
    .option('--as-of <time>', asOfHelp);
}

export function periodOf(o: Options): Period {
  return resolvePeriod({ from: str(o.from), to: str(o.to), asOf: str(o.asOf), period: str(o.period) });
}

/** Repeatable options collect into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What an import or transform counted (type only: the pipeline is not loaded for it). */
export type ImportCounts = ImportSummary;

export function printImportSummary(o: GlobalOptions, summary: ImportCounts, what: string): void {
  if (wantsJson(o)) printJson(summary);
  stderr(
    `${what}: ${summary.files} files, ${summary.records} records: ${summary.new} new, ` +
      `${summary.duplicates} duplicates, ${summary.quarantined} quarantined`,
  );
  if (summary.quarantined > 0) stderr('  see them with: pimops sql "SELECT * FROM quarantine"');
  if (summary.conflicts) {
    stderr(
      `  ${summary.conflicts} record id(s) arrived again with different content; the first copy is kept: ` +
        'pimops sql "SELECT * FROM id_conflicts"',
    );
  }
}

/** Where result rows go when no format is given: a table for a person at a terminal, CSV for a pipe. */
export function defaultRowFormat(): 'table' | 'csv' {
  return process.stdout.isTTY ? 'table' : 'csv';
}
