// The thin CLI: parses arguments, composes the stages, maps typed errors to exit codes
// (0 ok, 1 failure or target breached, 2 usage). Data goes to stdout, progress to stderr.
import { Command, CommanderError, Option } from 'commander';
import { startOfMonth, subMonths } from 'date-fns';
import { UTCDate } from '@date-fns/utc';
import { resolve, join, dirname, basename } from 'node:path';
import { existsSync, rmSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { loadConfig, type Config } from '../core/config.js';
import { PimopsError, asPimopsError } from '../core/errors.js';
import { redact, redactRegistered, registerSecret } from '../core/redact.js';
import { Db, requireDatabase } from '../core/db.js';
import { importPaths, rebuildAll, transformPending, withDb, ingestGraph, ingestLogAnalytics, ingestSnapshot, pruneLanding } from './pipeline.js';
import { SingleBar, Presets } from 'cli-progress';
import { metricsReport, type Period } from '../reports/metrics.js';
import { metricsText } from '../reports/metrics-text.js';
import { parseFormat, renderRows, type Format } from '../reports/format.js';
import { allQueries, getQuery, runQueryJson, pickParams } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { generateTenant, emitFiles, emitSignIns, emitSnapshot } from '../fixtures/generator/index.js';
import { exportLake, lakeSizeBytes } from '../reports/lake.js';
import { exportSentinel } from '../reports/sentinel/index.js';
import { createCredential } from '../core/azure.js';
import { runDoctor } from '../ingest/doctor.js';
import { explainRequest } from '../reports/explain.js';
import { runShell } from './shell.js';
import { runChecks, summarize, atOrAbove, SEVERITIES, type Severity } from '../reports/checks.js';
import { buildReport } from '../reports/report.js';
import { renderHtml, renderMarkdown, renderJson } from '../reports/render.js';
import { runJob } from './run.js';
import { writeArrow, writeParquet, type TypedRows } from '../reports/binary.js';

interface GlobalOptions { db: string; config?: string; format?: string; json?: boolean; verbose?: boolean }

const DEMO = { start: new Date('2026-07-01T00:00:00Z'), days: 123, from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') };

function parseTime(value: string, flag: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new PimopsError('usage', `${flag} must be a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 time, got '${value}'`);
  return d;
}

/** Half-open [from, to) in UTC; by default the last full calendar month. As-of defaults to the period end, or now if that is later. */
export function resolvePeriod(opts: { from?: string; to?: string; asOf?: string }, now = new Date()): Period {
  const thisMonth = startOfMonth(new UTCDate(now));
  const from = opts.from ? parseTime(opts.from, '--from') : new Date(subMonths(thisMonth, 1).getTime());
  const to = opts.to ? parseTime(opts.to, '--to') : new Date(thisMonth.getTime());
  if (to <= from) throw new PimopsError('usage', `--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);
  const asOf = opts.asOf ? parseTime(opts.asOf, '--as-of') : new Date(Math.min(to.getTime(), now.getTime()));
  return { from, to, asOf };
}

function reportPeriod(g: Record<string, unknown>): Period {
  if (g.period) {
    const m = /^(\d{4})-(\d{2})$/.exec(String(g.period));
    if (!m) throw new PimopsError('usage', `--period takes YYYY-MM, got '${g.period}'`);
    const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
    const to = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
    return resolvePeriod({ from: from.toISOString(), to: to.toISOString(), asOf: g.asOf as string | undefined });
  }
  return resolvePeriod({ from: g.from as string | undefined, to: g.to as string | undefined, asOf: g.asOf as string | undefined });
}

/** Builds the report and writes it to a temp name, then renames: a killed run leaves no half report. */
export async function writeReport(dbPath: string, config: Config, period: Period, o: { compare: number; pseudonymize: boolean; out?: string; type?: 'html' | 'md' | 'json' }): Promise<string> {
  const type = o.type ?? (o.out?.endsWith('.md') ? 'md' : o.out?.endsWith('.json') ? 'json' : 'html');
  if (!Number.isInteger(o.compare) || o.compare < 0 || o.compare > 24) throw new PimopsError('usage', '--compare takes a number of periods from 0 to 24, or "previous"');
  const db = await Db.openReadOnly(dbPath);
  let text: string;
  try {
    const model = await buildReport(db, config, period, { compare: o.compare, pseudonymize: o.pseudonymize, key: process.env.PIMOPS_PSEUDONYM_KEY });
    text = type === 'html' ? renderHtml(model) : type === 'md' ? renderMarkdown(model) : renderJson(model);
  } finally {
    db.close();
  }
  const target = resolve(o.out ?? join('pimops-reports', `pimops-${period.from.toISOString().slice(0, 10)}.${type}`));
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, target);
  return target;
}

/** `30d`, `12h`, `90m`, a date or an ISO time. */
function parseSince(value: string, now: Date, flag: string): Date {
  const m = /^(\d+)([ydhm])$/.exec(value);
  if (m) return new Date(now.getTime() - Number(m[1]) * { y: 365 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'y' | 'd' | 'h' | 'm']);
  return parseTime(value, flag);
}

function stderr(message: string): void {
  process.stderr.write(redact(message) + '\n');
}

function out(text: string): void {
  process.stdout.write(redactRegistered(text));
}

function defaultRowFormat(): Format {
  return process.stdout.isTTY ? 'table' : 'csv';
}

async function printSummary(g: GlobalOptions, summary: Record<string, number>, what: string) {
  if (g.json || g.format === 'json') out(JSON.stringify(summary) + '\n');
  stderr(`${what}: ${summary.files} files, ${summary.records} records: ${summary.new} new, ${summary.duplicates} duplicates, ${summary.quarantined} quarantined`);
  if (summary.quarantined > 0) stderr(`  see them with: pimops sql "SELECT * FROM quarantine"`);
  if (summary.conflicts) stderr(`  ${summary.conflicts} record id(s) arrived again with different content; the first copy is kept: pimops sql "SELECT * FROM id_conflicts"`);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pimops')
    .description('Microsoft Entra PIM operations analytics from audit logs, in DuckDB')
    .option('--db <file>', 'DuckDB database file', './pimops.duckdb')
    .option('--config <file>', 'config file (default: ./pimops.config.json when present)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'ndjson', 'markdown', 'arrow', 'parquet']))
    .option('--json', 'same as --format json')
    .option('-v, --verbose', 'progress for every file on stderr')
    .showHelpAfterError()
    .exitOverride();

  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
  const progress = (g: GlobalOptions) => (g.verbose ? (m: string) => stderr(m) : undefined);

  program.command('demo')
    .description('generate a demo tenant, land it, transform it into the database and print the metrics')
    .option('--seed <n>', 'generator seed', '42')
    .option('--admins <n>', 'number of admins', '40')
    .option('--dir <dir>', 'where the demo audit files are written', './pimops-demo')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const seed = Number(g.seed);
      const admins = Number(g.admins);
      if (!Number.isInteger(seed) || !Number.isInteger(admins) || admins < 1) throw new PimopsError('usage', '--seed and --admins take whole numbers (admins ≥ 1)');
      const tenant = generateTenant({ seed, admins, start: DEMO.start, days: DEMO.days });
      const dir = resolve(String(g.dir));
      if (existsSync(dir)) rmSync(dir, { recursive: true });
      const emitted = emitFiles(tenant.records, tenant.tenant.id, { dir, seed });
      emitSignIns(tenant.signIns, dir);
      emitSnapshot(tenant, dir, DEMO.to);
      stderr(`demo tenant (seed ${seed}, ${admins} admins, ${DEMO.start.toISOString().slice(0, 10)} + ${DEMO.days} days): ${emitted.distinct} audit records written as ${emitted.files.length} files in ${dir} (${emitted.written - emitted.distinct} repeated by overlapping pulls)`);
      const demoConfig: Config = config.breakGlassAccounts.length ? config : { ...config, breakGlassAccounts: tenant.breakGlass.map((b) => b.upn!) };
      // The demo's break-glass accounts, for the commands that follow (pimops metrics / checks --config …).
      const demoConfigFile = resolve('pimops-demo.config.json');
      writeFileSync(demoConfigFile, JSON.stringify({ breakGlassAccounts: demoConfig.breakGlassAccounts }, null, 2) + '\n');
      const summary = await importPaths(g.db, demoConfig, [dir], progress(g));
      stderr(`imported into ${resolve(g.db)}: ${summary.files} files, ${summary.records} records: ${summary.new} new, ${summary.duplicates} duplicates, ${summary.quarantined} quarantined`);
      const period = { from: DEMO.from, to: DEMO.to, asOf: DEMO.to };
      const report = await withDb(g.db, demoConfig, (db) => metricsReport(db, demoConfig, period));
      const findings = await withDb(g.db, demoConfig, (db) => runChecks(db, demoConfig, period));
      if (g.json || g.format === 'json') out(JSON.stringify({ ...report, findings: summarize(findings) }, null, 2) + '\n');
      else {
        out(metricsText(report));
        const s = summarize(findings);
        out(`\nFindings (pimops checks): ${[...SEVERITIES].reverse().map((x) => `${s[x]} ${x}`).join(', ')}\n`);
        for (const f of atOrAbove(findings, 'high')) out(`  ${f.severity.padEnd(8)} ${f.detail}\n`);
        stderr(`\nnext: npx pimops checks --config pimops-demo.config.json --from 2026-10-01 --to 2026-11-01 | npx pimops report --config pimops-demo.config.json --period 2026-10 | npx pimops shell`);
      }
    });

  program.command('import')
    .description('land audit files (Graph pages, JSON, NDJSON, Event Hub / storage exports, gzip, folders) and transform them')
    .argument('<paths...>', 'files or folders')
    .action(async (paths: string[], _o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const summary = await importPaths(g.db, config, paths, progress(g));
      await printSummary(g, { ...summary }, 'imported');
    });

  program.command('transform')
    .description('transform whatever is landed but not yet in the database, and re-derive the PIM tables')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const c = await transformPending(g.db, loadConfig(g.config));
      stderr(`transformed: ${c.records} records: ${c.new} new, ${c.duplicates} duplicates, ${c.quarantined} quarantined`);
    });

  program.command('rebuild')
    .description('drop every derived table and rebuild them from the landing store, in manifest order')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const c = await rebuildAll(g.db, loadConfig(g.config));
      stderr(`rebuilt: ${c.records} records: ${c.new} stored, ${c.duplicates} duplicates, ${c.quarantined} quarantined`);
      if (c.prunedFiles) stderr(`  ${c.prunedFiles} landed files were pruned by retention: their records are no longer in the rebuilt tables`);
    });

  program.command('prune')
    .description('delete landed files older than storage.retainLandingDays (their records stay in the database; a rebuild can no longer reproduce them)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      if (!config.storage.retainLandingDays) throw new PimopsError('usage', 'storage.retainLandingDays is not set: landed files are kept (the default).');
      const r = await pruneLanding(g.db, config);
      if (g.json || g.format === 'json') out(JSON.stringify(r) + '\n');
      stderr(r.files ? `pruned ${r.files} landed files (${r.records} records from ${r.from} to ${r.to}): they stay in the database, but 'pimops rebuild' can no longer reproduce them` : 'nothing to prune');
    });

  program.command('metrics')
    .description('time to activate, approvals, active hours, standing assignments for a period')
    .option('--from <date>', 'period start, inclusive (default: first day of last month, UTC)')
    .option('--to <date>', 'period end, exclusive (default: first day of this month, UTC)')
    .option('--as-of <time>', 'when open activations are cut and standing access is read (default: period end, or now)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const period = resolvePeriod({ from: g.from as string | undefined, to: g.to as string | undefined, asOf: g.asOf as string | undefined });
      requireDatabase(g.db);
      const report = await withDb(g.db, config, (db) => metricsReport(db, config, period));
      if (g.json || g.format === 'json') out(JSON.stringify(report, null, 2) + '\n');
      else out(metricsText(report));
    });

  program.command('checks')
    .description('governance checks and detections: findings by severity (exit 1 at or above --fail-on)')
    .option('--from <date>', 'period start, inclusive (default: first day of last month, UTC)')
    .option('--to <date>', 'period end, exclusive (default: first day of this month, UTC)')
    .option('--as-of <time>', 'which snapshot and standing state to judge (default: period end, or now)')
    .option('--check <id>', 'only this check (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices([...SEVERITIES]))
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const period = resolvePeriod({ from: g.from as string | undefined, to: g.to as string | undefined, asOf: g.asOf as string | undefined });
      requireDatabase(g.db);
      const db = await Db.openReadOnly(g.db);
      let findings;
      try {
        findings = await runChecks(db, config, period, g.check as string[]);
      } finally {
        db.close();
      }
      const summary = summarize(findings);
      if (g.json || g.format === 'json') {
        out(JSON.stringify({ schemaVersion: 1, period: { from: period.from.toISOString(), to: period.to.toISOString(), asOf: period.asOf.toISOString() }, summary, findings }, null, 2) + '\n');
      } else {
        const rows = findings.map((f) => ({ severity: f.severity, check: f.checkId.replace(/^check_/, ''), subject: f.subjectName ?? f.subjectId ?? '', detail: f.detail }));
        out(renderRows(['severity', 'check', 'subject', 'detail'], rows, parseFormat(g.format, false, process.stdout.isTTY ? 'table' : 'csv')));
      }
      stderr(`${findings.length} findings: ${[...SEVERITIES].reverse().map((s) => `${summary[s]} ${s}`).join(', ')}`);
      const failOn = g.failOn as Severity | undefined;
      if (failOn && atOrAbove(findings, failOn).length) {
        throw new PimopsError('threshold-breached', `${atOrAbove(findings, failOn).length} finding(s) at or above ${failOn}`);
      }
    });

  program.command('report')
    .description('the metric report people read: targets, change, charts, findings, coverage (html, md or json)')
    .option('--period <YYYY-MM>', 'a calendar month (UTC)')
    .option('--from <date>', 'period start, inclusive')
    .option('--to <date>', 'period end, exclusive')
    .option('--as-of <time>', 'as-of time (default: period end, or now)')
    .option('--compare <n>', 'previous periods to compare with ("previous" = 1)', '2')
    .option('--out <path>', 'where to write (default: ./pimops-reports/pimops-<from>.<ext>)')
    .option('--pseudonymize', 'replace people by stable keyed aliases (key: PIMOPS_PSEUDONYM_KEY)')
    .addOption(new Option('--type <type>', 'html, md or json (default: from --out, else html)').choices(['html', 'md', 'json']))
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const period = reportPeriod(g);
      requireDatabase(g.db);
      const written = await writeReport(g.db, config, period, {
        compare: g.compare === 'previous' ? 1 : Number(g.compare), pseudonymize: Boolean(g.pseudonymize), out: g.out as string | undefined,
        type: (g.type as 'html' | 'md' | 'json' | undefined) ?? (g.json ? 'json' : undefined),
      });
      stderr(`report: ${written}`);
    });

  program.command('run')
    .description('the scheduled job: ingest → transform → checks → reports → exports → notification; exit 1 when breached, failed or stale')
    .option('--period <YYYY-MM>', 'the month to report (default: the last full month)')
    .option('--as-of <time>', 'as-of time (default: period end, or now)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const period = reportPeriod(g);
      const r = await runJob(g.db, config, period, (e) => stderr(JSON.stringify({ at: new Date().toISOString(), ...e })));
      const line = `status: ${r.status} period ${period.from.toISOString().slice(0, 10)}..${period.to.toISOString().slice(0, 10)}${r.reasons.length ? ` (${r.reasons.join('; ')})` : ''}`;
      if (g.json || g.format === 'json') out(JSON.stringify({ status: r.status, period: { from: period.from, to: period.to, asOf: period.asOf }, reasons: r.reasons, steps: r.steps, reports: r.reports }) + '\n');
      else out(line + '\n');
      // The summary line is the job's answer: exit 1 without a second error message.
      if (r.status !== 'ok') deferredExitCode = 1;
    });

  program.command('query')
    .description('run a named query from queries/ (see --list)')
    .argument('[id]', 'query id')
    .option('--list', 'list the named queries and their parameters')
    .option('--param <k=v>', 'a parameter (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--from <date>', 'sets the from parameter')
    .option('--to <date>', 'sets the to parameter')
    .option('--as-of <time>', 'sets the as_of parameter')
    .option('--out <file>', 'write the result to a file (required for arrow and parquet)')
    .action(async (id: string | undefined, _o, cmd: Command) => {
      const g = globals(cmd);
      if (g.list || !id) {
        const rows = [...allQueries().values()].map((q) => ({ id: q.id, title: q.title, parameters: q.parameters.map((p) => `${p.name} ${p.type}`).join(', ') }));
        out(renderRows(['id', 'title', 'parameters'], rows, parseFormat(g.format, g.json, defaultRowFormat())));
        return;
      }
      const config = loadConfig(g.config);
      const q = getQuery(id);
      const period = resolvePeriod({ from: g.from as string | undefined, to: g.to as string | undefined, asOf: g.asOf as string | undefined });
      const params = pickParams(q.id, configParams(config, period));
      for (const kv of g.param as string[]) {
        const eq = kv.indexOf('=');
        if (eq < 1) throw new PimopsError('usage', `--param takes k=v, got '${kv}'`);
        params[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      const db = await Db.openReadOnly(g.db);
      try {
        const res = await runQueryJsonSafe(db, q.id, params);
        await emitRows(g, res);
      } finally {
        db.close();
      }
    });

  program.command('sql')
    .description('run ad hoc SQL on a read-only, sandboxed connection')
    .argument('<statement>', 'the SQL to run')
    .option('--write', 'allow writes (opens the database read-write, with no sandbox)')
    .option('--out <file>', 'write the result to a file (required for arrow and parquet)')
    .action(async (statement: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const db = g.write ? await Db.open(g.db) : await Db.openReadOnly(g.db);
      try {
        const res = await db.allJsRows(statement).catch((err: unknown) => { throw sqlError(err); });
        await emitRows(g, res);
      } finally {
        db.close();
      }
    });

  const ingest = program.command('ingest').description('pull audit data from Azure into the landing store, then transform');
  ingest.command('graph')
    .description('Microsoft Graph auditLogs/directoryAudits, incremental from the last run (minus an overlap)')
    .option('--since <when>', 'start: an ISO time, a date, or an age like 30d / 12h (default: the watermark, else retention)')
    .option('--until <when>', 'end (default: now)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const now = new Date();
      const since = g.since ? parseSince(String(g.since), now, '--since') : undefined;
      const until = g.until ? parseSince(String(g.until), now, '--until') : undefined;
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'graph {stream} | page {page} | {records} records | {rate} rec/s | newest {newest}', hideCursor: true }, Presets.shades_classic) : undefined;
      const t0 = Date.now();
      bar?.start(1, 0, { stream: '', page: 0, records: 0, rate: 0, newest: '' });
      const result = await ingestGraph(g.db, config, { since, until, now }, {
        onPage: (e) => {
          const rate = Math.round(e.totalRecords / Math.max(0.001, (Date.now() - t0) / 1000));
          if (bar) bar.update(0, { stream: e.stream, page: e.page, records: e.totalRecords, rate, newest: e.newestTime ?? '' });
          else stderr(JSON.stringify({ event: 'page', ...e, ratePerSecond: rate }));
        },
        onRetry: (reason, attempt, waitMs) => { if (!bar) stderr(JSON.stringify({ event: 'retry', reason, attempt, waitMs })); },
      }).finally(() => bar?.stop());
      if (result.retentionGap) stderr(`no audit data can be had from ${result.retentionGap.from} to ${result.retentionGap.to}: Graph keeps ${config.azure.auditRetentionDays} days (older history: Log Analytics or a storage export)`);
      const summary = { window: result.window, pages: result.pages, landedFiles: result.landed.length, ...result.transformed, resumedAfterBrokenLink: result.resumedAfterBrokenLink };
      if (g.json || g.format === 'json') out(JSON.stringify(summary) + '\n');
      stderr(`graph ${result.window.from} → ${result.window.to}: ${result.pages} pages, ${result.records} records; ${result.transformed.new} new, ${result.transformed.duplicates} duplicates, ${result.transformed.quarantined} quarantined`);
    });

  ingest.command('log-analytics')
    .description('AuditLogs history from a Log Analytics workspace, in time slices (split when a slice is too large)')
    .option('--workspace <id>', 'workspace (customer) id (default: azure.workspaceId)')
    .option('--since <when>', 'start: an ISO time, a date, or an age like 2y / 90d (default: the watermark, else 90d)')
    .option('--until <when>', 'end (default: now)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const workspaceId = (g.workspace as string | undefined) ?? config.azure.workspaceId;
      if (!workspaceId) throw new PimopsError('usage', 'Give --workspace ID or set azure.workspaceId in the config');
      const now = new Date();
      const r = await ingestLogAnalytics(g.db, config, {
        workspaceId, now,
        since: g.since ? parseSince(String(g.since), now, '--since') : undefined,
        until: g.until ? parseSince(String(g.until), now, '--until') : undefined,
      }, (e) => stderr(JSON.stringify({ event: e.split ? 'split' : 'slice', ...e })));
      const summary = { window: r.window, slices: r.slices, splits: r.splits, landedFiles: r.landed.length, ...r.transformed };
      if (g.json || g.format === 'json') out(JSON.stringify(summary) + '\n');
      stderr(`log analytics ${r.window.from} → ${r.window.to}: ${r.slices} slices (${r.splits} splits), ${r.rows} rows; ${r.transformed.new} new, ${r.transformed.duplicates} duplicates, ${r.transformed.quarantined} quarantined`);
    });

  ingest.command('snapshot')
    .description('PIM state from Graph: eligible and active assignments, role settings, role definitions, access reviews, users')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const r = await ingestSnapshot(g.db, config);
      if (g.json || g.format === 'json') out(JSON.stringify({ observedAt: r.observedAt, endpoints: r.endpoints, snapshotRows: r.transformed.snapshotRows ?? 0 }) + '\n');
      for (const e of r.endpoints) stderr(`${e.error ? '✗' : '✓'} ${e.name}: ${e.error ?? `${e.records} records`}`);
      stderr(`snapshot observed at ${r.observedAt}: ${r.transformed.snapshotRows ?? 0} rows loaded`);
      if (r.endpoints.every((e) => e.error)) throw new PimopsError('azure-permission', 'No snapshot endpoint answered: see the permissions above and docs/azure-setup.md');
    });

  program.command('shell')
    .description('interactive read-only SQL on a snapshot copy of the database (never blocks an import or the scheduled run)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      await runShell(g.db, loadConfig(g.config));
    });

  program.command('explain-request')
    .description('tell one request as a story: who asked, why, who approved and after how long, when it took effect and ended, what was done meanwhile')
    .argument('<key>', 'request key (see pim_requests.request_key)')
    .action(async (key: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const db = await Db.openReadOnly(g.db);
      try {
        out(await explainRequest(db, key));
      } finally {
        db.close();
      }
    });

  program.command('doctor')
    .description('check the Azure setup: token, and each endpoint pimops uses, with what is missing and how to grant it')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      const checks = await runDoctor(config);
      if (g.json || g.format === 'json') out(JSON.stringify(checks, null, 2) + '\n');
      else for (const c of checks) out(`${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}${c.fix ? `\n    → ${c.fix}` : ''}\n`);
      if (checks.some((c) => !c.ok)) throw new PimopsError('azure-permission', `${checks.filter((c) => !c.ok).length} of ${checks.length} checks failed`);
    });

  const exp = program.command('export').description('hand the data to other engines');
  exp.command('parquet')
    .description('write the tables and metric values as a Hive-partitioned Parquet lake (event_date=YYYY-MM-DD); incremental')
    .requiredOption('--out <dir>', 'the lake folder')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      requireDatabase(g.db);
      const t0 = performance.now();
      const r = await withDb(g.db, config, (db) => exportLake(db, config, String(g.out), progress(g)));
      const summary = { ...r, seconds: Math.round((performance.now() - t0) / 100) / 10, bytes: lakeSizeBytes(String(g.out)) };
      if (g.json || g.format === 'json') out(JSON.stringify(summary) + '\n');
      stderr(`lake ${resolve(String(g.out))}: ${r.tables} tables, ${r.rows} rows; ${r.partitionsWritten} partitions written, ${r.partitionsUnchanged} unchanged, ${r.partitionsRemoved} removed (${(summary.bytes / 2 ** 20).toFixed(1)} MiB)`);
    });

  exp.command('sentinel')
    .description('payloads for the PIM custom tables (rows new or changed since the last upload), ARM templates for the tables and DCR, workbooks, analytics rules, watchlists and the metrics as KQL')
    .requiredOption('--out <dir>', 'where the files go')
    .option('--upload', 'send the pending rows with the Logs Ingestion API (sentinel.* in the config) and remember them')
    .option('--full', 'send every current row again, not only new and changed ones (a new workspace)')
    .option('--from <date>', 'period of the KQL metric files (default: last full month)')
    .option('--to <date>', 'period end (exclusive)')
    .option('--as-of <time>', 'the moment standing access and findings are taken at (default: now)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const config = loadConfig(g.config);
      requireDatabase(g.db);
      const period = resolvePeriod({ from: g.from as string | undefined, to: g.to as string | undefined, asOf: g.asOf as string | undefined });
      if (!g.asOf) period.asOf = new Date();
      const r = await withDb(g.db, config, (db) => exportSentinel(db, config, String(g.out), {
        period, upload: Boolean(g.upload), full: Boolean(g.full), credential: () => createCredential(config), log: (m) => stderr(m),
      }));
      if (g.json || g.format === 'json') out(JSON.stringify(r) + '\n');
      const lines = Object.entries(r.tables).map(([t, v]) => `  ${t}: ${v.current} rows, ${v.pending} to send (${v.tombstones} removals)${r.uploaded ? `, ${v.sent} sent${v.failed ? `, ${v.failed} refused` : ''}` : ''}`);
      stderr(`sentinel export in ${resolve(String(g.out))} (${r.files.length} files):\n${lines.join('\n')}`);
      if (r.failures.length) throw new PimopsError('azure-request', `The ingestion API refused ${r.failures.reduce((n, f) => n + f.rows, 0)} rows (${r.failures.map((f) => `${f.table}: ${f.reason}`).join('; ')}); they are sent again next time`);
    });

  return program;
}

/** Text formats go to stdout (or --out); arrow and parquet are files pimops writes from the rows. */
async function emitRows(g: GlobalOptions & { out?: unknown }, res: TypedRows): Promise<void> {
  const target = g.out ? resolve(String(g.out)) : undefined;
  if (g.format === 'arrow' || g.format === 'parquet') {
    if (!target) throw new PimopsError('usage', `--format ${g.format} writes a file: give --out FILE`);
    if (g.format === 'arrow') writeArrow(res, target); else await writeParquet(res, target);
    stderr(`wrote ${res.rows.length} rows to ${target} (${g.format})`);
    return;
  }
  const text = renderRows(res.columns, res.rows, parseFormat(g.format, g.json, target ? 'csv' : defaultRowFormat()));
  if (target) {
    writeFileSync(`${target}.${process.pid}.tmp`, text, { mode: 0o600 });
    renameSync(`${target}.${process.pid}.tmp`, target);
    stderr(`wrote ${res.rows.length} rows to ${target}`);
  } else {
    out(text);
  }
}

async function runQueryJsonSafe(db: Db, id: string, params: Record<string, unknown>) {
  try {
    return await runQueryJson(db, id, params);
  } catch (err) {
    throw err instanceof PimopsError ? err : sqlError(err);
  }
}

function sqlError(err: unknown): PimopsError {
  const message = err instanceof Error ? err.message : String(err);
  if (/read-only mode|read_only|Permission Error|disabled by configuration|lock_configuration|Cannot change/i.test(message)) {
    return new PimopsError('sql-not-read-only', `Refused: ad hoc SQL is read-only and cannot reach files or settings (${message.split('\n')[0]}). Use --write to change the database.`);
  }
  return new PimopsError('sql-error', message.split('\n')[0]);
}

let deferredExitCode = 0;

export async function main(argv: string[]): Promise<number> {
  deferredExitCode = 0;
  // Audit data names people: everything pimops writes is for its owner only.
  process.umask(0o077);
  registerSecret(process.env.AZURE_CLIENT_SECRET);
  registerSecret(process.env.PIMOPS_WEBHOOK_URL);
  registerSecret(process.env.PIMOPS_PSEUDONYM_KEY);
  const program = buildProgram();
  const wantsJson = argv.includes('--json') || argv.includes('--format=json') || argv.join(' ').includes('--format json');
  try {
    await program.parseAsync(argv);
    return deferredExitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (wantsJson) out(JSON.stringify({ error: err.message, code: 'usage' }) + '\n');
      return 2;
    }
    const e = asPimopsError(err);
    if (wantsJson) process.stdout.write(JSON.stringify({ error: redact(e.message), code: e.code }) + '\n');
    else stderr(`pimops: ${e.message}`);
    if (e.code === 'internal' && process.env.PIMOPS_DEBUG && err instanceof Error) stderr(err.stack ?? '');
    return e.exitCode;
  }
}

