// `pimops run`: the unattended job. Ingest the configured sources → transform → metrics and checks →
// reports with dated names → lake export → notification. Exit 0 when all is well; 1 when a target is
// breached, a finding reaches run.failOn, a step failed, or the newest data is older than
// run.maxDataAgeHours; 2 on usage or config errors.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../core/output.js';
import { basename, dirname, resolve, join } from 'node:path';
import type { Config } from '../core/config.js';
import { PimopsError, asPimopsError } from '../core/errors.js';
import { gapError } from '../core/gaps.js';
import { Db } from '../core/db.js';
import { forEachTenant, transformPending, withDb, withReadOnlyDb, pruneLanding } from './pipeline.js';
import {
  ingestGraph,
  ingestGraphTenants,
  ingestLogAnalytics,
  ingestLogAnalyticsTenants,
  ingestSnapshot,
  ingestSnapshotTenants,
  gapsAsFailures,
  pullTargets,
  type GraphPull,
  type LaPull,
  type SnapshotPull,
  type TenantOutcome,
} from './pulls.js';
import { tenantName } from './tenant-outcomes.js';
import { writeTenantsReport } from '../reports/tenants-report.js';
import { configuredTenants } from '../core/config.js';
import { label, storeTenants, type StoreTenant } from '../core/tenants.js';
import { metricsReport } from '../reports/metrics.js';
import type { Period } from '../core/time.js';
import { runChecks, summarize, atOrAbove } from '../reports/checks.js';
import { buildReport, targetsOf, type ReportModel } from '../reports/report.js';
import { reportMail } from '../reports/mail.js';
import { sendMail } from '../ingest/graph/mail.js';
import { renderHtml, renderMarkdown, renderJson } from '../reports/render.js';
import { findingsCsv, findingsCsvPath } from '../reports/report-file.js';
import { exportLake } from '../reports/lake.js';
import { exportDbConfig, exportSentinelStore } from '../reports/sentinel/index.js';
import { createCredential } from '../core/azure.js';

export type RunStatus = 'ok' | 'breached' | 'failed' | 'stale';
export interface RunResult {
  status: RunStatus;
  period: Period;
  steps: { step: string; ok: boolean; detail: string }[];
  reports: string[];
  reasons: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One run at a time per database: a lock file beside it; the second run waits, then gives up clearly. */
export async function acquireRunLock(dbPath: string, waitSeconds: number): Promise<() => void> {
  const lock = `${resolve(dbPath)}.run.lock`;
  // A first run makes its store: its folder may not exist yet.
  mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid?: number; since?: string } = {};
      try {
        holder = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
      } catch {
        /* being written */
      }
      if (holder.pid && !alive(holder.pid)) {
        rmSync(lock, { force: true });
        continue;
      } // left by a crashed run
      if (Date.now() >= until) {
        throw new PimopsError(
          'database-locked',
          `Another pimops run (pid ${holder.pid ?? '?'}, since ${holder.since ?? '?'}) holds ${lock}; waited ${waitSeconds} s. Try again when it finishes.`,
        );
      }
      await sleep(250);
    }
  }
}

/** DuckDB lets one writing process exclude all others: wait for a foreign holder rather than fail at once. */
async function waitForDatabase(dbPath: string, waitSeconds: number): Promise<void> {
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      const db = await Db.open(dbPath);
      db.close();
      return;
    } catch (err) {
      const e = asPimopsError(err);
      if (e.code !== 'database-locked' || Date.now() >= until) throw e;
      await sleep(500);
    }
  }
}

export async function runJob(
  dbPath: string,
  config: Config,
  period: Period,
  log: (event: Record<string, unknown>) => void,
): Promise<RunResult> {
  const release = await acquireRunLock(dbPath, config.run.lockWaitSeconds);
  const result: RunResult = { status: 'ok', period, steps: [], reports: [], reasons: [] };
  const step = async (name: string, fn: () => Promise<string>) => {
    const t0 = Date.now();
    try {
      const detail = await fn();
      result.steps.push({ step: name, ok: true, detail });
      log({ event: 'step', step: name, ok: true, detail, ms: Date.now() - t0 });
      return true;
    } catch (err) {
      const e = asPimopsError(err);
      result.steps.push({ step: name, ok: false, detail: e.message });
      log({ event: 'step', step: name, ok: false, code: e.code, error: e.message, ms: Date.now() - t0 });
      return false;
    }
  };
  try {
    await waitForDatabase(dbPath, config.run.lockWaitSeconds);
    // A configuration that lists tenants pulls every one; a tenant that fails fails the step by name,
    // after the others have landed.
    const targets = configuredTenants(config).length ? pullTargets(config, { allTenants: true }) : undefined;
    const perTenant = <T>(outcomes: TenantOutcome<T>[], line: (r: T) => string): string => {
      const failed = outcomes.filter((o) => !o.ok);
      if (failed.length)
        throw new PimopsError(
          'tenant-failed',
          `${failed.length} of ${outcomes.length} tenant(s) failed: ${failed.map((o) => `${tenantName(o.tenant)} (${o.error.code}: ${o.error.message})`).join('; ')}`,
        );
      return outcomes.map((o) => (o.ok ? `${tenantName(o.tenant)}: ${line(o.result)}` : '')).join('; ');
    };
    for (const source of config.run.sources) {
      await step(`ingest ${source}`, async () => {
        if (source === 'graph') {
          const line = (r: GraphPull) => `${r.window.from} → ${r.window.to}: ${r.records} records`;
          if (targets) {
            const r = await ingestGraphTenants(dbPath, config, targets, {});
            return `${perTenant(r.tenants, line)}; ${r.transformed.new} new`;
          }
          const r = await ingestGraph(dbPath, config, {});
          return `${line(r)}, ${r.transformed.new} new`;
        }
        if (source === 'snapshot') {
          // One policy for partial failures: an unexpected gap fails the step; an expected one is named.
          const line = (r: SnapshotPull) => {
            if (r.gaps.failures.length) throw gapError('snapshot', r.gaps.failures);
            const warned = r.gaps.warnings.map((w) => `${w.name} not pulled (${w.expected})`).join('; ');
            return `observed ${r.observedAt}; ${warned ? `warnings: ${warned}` : 'all endpoints'}`;
          };
          if (targets) {
            const r = await ingestSnapshotTenants(dbPath, config, targets);
            return perTenant(gapsAsFailures(r.tenants), line);
          }
          return line(await ingestSnapshot(dbPath, config));
        }
        const laLine = (r: LaPull) => `${r.window.from} → ${r.window.to}: ${r.rows} rows`;
        if (targets) {
          const r = await ingestLogAnalyticsTenants(dbPath, config, targets, {});
          return `${perTenant(r.tenants, laLine)}; ${r.transformed.new} new`;
        }
        if (!config.azure.workspaceId)
          throw new PimopsError('config-invalid', 'run.sources has log-analytics but azure.workspaceId is not set');
        const r = await ingestLogAnalytics(dbPath, config, { workspaceId: config.azure.workspaceId });
        return `${laLine(r)}, ${r.transformed.new} new`;
      });
    }
    if (!config.run.sources.length)
      await step('transform', async () => {
        const c = await transformPending(dbPath, config);
        return `${c.new} new records`;
      });

    // Each tenant of a store that holds several is judged on its own, with its own configuration.
    const tenants = await withReadOnlyDb(dbPath, config, (db) => storeTenants(db, config)).catch(
      () => [] as StoreTenant[],
    );
    const several = tenants.length > 1;
    await step('metrics and checks', async () => {
      const judge = async (db: Db, c: Config, tenant?: StoreTenant) => {
        const who = tenant ? `${label(tenant)}: ` : '';
        const m = await metricsReport(db, c, period);
        const findings = await runChecks(db, c, period);
        const summary = summarize(findings);
        const failing = targetsOf(m, summary, c).filter((t) => t.status === 'fail' && t.id !== 'findings');
        for (const t of failing)
          result.reasons.push(`${who}target breached: ${t.name} = ${t.value} (target ${t.target})`);
        const severe = atOrAbove(findings, c.run.failOn);
        if (severe.length) result.reasons.push(`${who}${severe.length} finding(s) at or above ${c.run.failOn}`);
        const newest = m.coverage.lastEvent ? new Date(m.coverage.lastEvent) : null;
        const ageHours = newest ? (period.asOf.getTime() - newest.getTime()) / 3_600_000 : Infinity;
        if (ageHours > c.run.maxDataAgeHours)
          result.reasons.unshift(
            `stale: ${who}the newest audit record is ${Number.isFinite(ageHours) ? `${Math.round(ageHours)} h` : 'missing'} old at ${period.asOf.toISOString()} (limit ${c.run.maxDataAgeHours} h)`,
          );
        return `${who}${failing.length} target(s) breached; findings ${JSON.stringify(summary)}`;
      };
      if (several)
        return (await forEachTenant(dbPath, config, (db, c, t) => judge(db, c, t))).map((r) => r.result).join('; ');
      return withReadOnlyDb(dbPath, config, (db) => judge(db, config));
    });
    if (!result.steps.at(-1)!.ok && !result.reasons.some((r) => r.startsWith('stale')))
      result.reasons.unshift(`stale: the newest audit record is missing at ${period.asOf.toISOString()}`);

    // What the mail step sends: the one report, or each tenant's.
    const built: { model: ReportModel; html: string; fileName: string; tenant?: StoreTenant }[] = [];
    const dir = resolve(config.run.reportDir);
    const stem = `pimops-${period.from.toISOString().slice(0, 10)}`;
    await step('reports', async () => {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (several) {
        // Each tenant's report and a summary with one row per tenant and target, per format.
        for (const f of config.run.reportFormats) {
          const r = await writeTenantsReport(dbPath, config, period, {
            compare: config.run.compare,
            pseudonymize: false,
            out: join(dir, `${stem}-tenants.${f}`),
            type: f,
          });
          for (const report of r.reports) {
            result.reports.push(report);
            if (f !== 'json') result.reports.push(findingsCsvPath(report));
          }
          result.reports.push(r.summary);
          if (f === 'html')
            for (const t of r.tenants)
              built.push({ model: t.report, html: renderHtml(t.report), fileName: basename(t.file), tenant: t.tenant });
        }
        return result.reports.join(', ');
      }
      const db = await Db.openReadOnly(dbPath, { memoryLimit: config.storage.memoryLimit });
      try {
        const model = await buildReport(db, config, period, { compare: config.run.compare, pseudonymize: false });
        built.push({ model, html: renderHtml(model), fileName: `${stem}.html` });
        for (const f of config.run.reportFormats) {
          const path = join(dir, `${stem}.${f}`);
          writeFileAtomic(
            path,
            f === 'html' ? renderHtml(model) : f === 'md' ? renderMarkdown(model) : renderJson(model),
          );
          result.reports.push(path);
        }
        if (config.run.reportFormats.some((f) => f !== 'json')) {
          const path = join(dir, `${stem}.findings.csv`);
          writeFileAtomic(path, findingsCsv(model.findings.items));
          result.reports.push(path);
        }
        return result.reports.join(', ');
      } finally {
        db.close();
      }
    });
    const mail = config.run.mail;
    if (mail && several && !built.length)
      // Several tenants mail each tenant's HTML report: without one there is nothing to send.
      await step('mail', () =>
        Promise.reject(
          new PimopsError('config-invalid', 'run.mail with several tenants needs html in run.reportFormats'),
        ),
      );
    if (mail && built.length) {
      await step('mail', async () => {
        let attached = 0;
        for (const b of built) {
          const message = reportMail(b.model, b.html, {
            to: mail.to,
            subjectPrefix: b.tenant ? `${mail.subjectPrefix} ${b.tenant.name ?? b.tenant.id}` : mail.subjectPrefix,
            fileName: b.fileName,
          });
          await sendMail(config, createCredential(config), mail.from, message);
          if (message.attachments.length) attached++;
        }
        // Who and how many, never the message or a token: the log is read by more people than the report.
        return built.length > 1
          ? `${built.length} tenant reports sent to ${mail.to.length} recipient(s), ${attached} attached`
          : `sent to ${mail.to.length} recipient(s)${attached ? ', report attached' : ', report too large to attach'}`;
      });
    }
    if (config.run.lakeDir)
      await step('export parquet', async () =>
        withDb(dbPath, config, async (db) => {
          const r = await exportLake(db, config, config.run.lakeDir!);
          // What the export would not trust or delete is said in the run log, not only on a terminal.
          return `${r.partitionsWritten} partitions written${r.warnings.length ? `; warnings: ${r.warnings.join('; ')}` : ''}`;
        }),
      );

    if (config.run.sentinelDir) {
      await step('export sentinel', async () =>
        withDb(dbPath, exportDbConfig(config), async (db) => {
          // A store of several tenants exports each into its own folder (and to its own DCR when configured).
          const several = (await storeTenants(db, config)).length > 1;
          const each = await exportSentinelStore(db, config, config.run.sentinelDir!, {
            period: { ...period, asOf: new Date() },
            upload: config.run.sentinelUpload,
            allTenants: several,
            credential: (c) => createCredential(c),
          });
          const refused = each.reduce((n, e) => n + e.result.failures.reduce((m, f) => m + f.rows, 0), 0);
          if (refused)
            throw new PimopsError(
              'azure-request',
              `the ingestion API refused ${refused} rows; they are sent again next run`,
            );
          const rows = each.reduce((n, e) => n + Object.values(e.result.tables).reduce((m, t) => m + t.pending, 0), 0);
          return `${rows} rows ${config.run.sentinelUpload ? 'sent' : 'written'}${several ? ` for ${each.length} tenants` : ''}`;
        }),
      );
    }

    if (config.storage.retainLandingDays)
      await step('prune landing', async () => {
        const r = await pruneLanding(dbPath, config);
        return r.files ? `${r.files} files (${r.from} → ${r.to}) no longer rebuildable` : 'nothing to prune';
      });

    const failed = result.steps.filter((s) => !s.ok);
    result.status = failed.length
      ? 'failed'
      : result.reasons.some((r) => r.startsWith('stale'))
        ? 'stale'
        : result.reasons.length
          ? 'breached'
          : 'ok';
    if (failed.length) result.reasons.unshift(...failed.map((f) => `${f.step} failed: ${f.detail}`));
    await notify(result, log);
    return result;
  } finally {
    release();
  }
}

/** A summary card to a Teams workflow or Slack-compatible incoming webhook. The URL is a secret: environment only. */
async function notify(r: RunResult, log: (event: Record<string, unknown>) => void): Promise<void> {
  const url = process.env.PIMOPS_WEBHOOK_URL;
  if (!url) return;
  const text =
    `pimops ${r.period.from.toISOString().slice(0, 10)} → ${r.period.to.toISOString().slice(0, 10)}: ${r.status.toUpperCase()}` +
    (r.reasons.length ? `\n${r.reasons.map((x) => `• ${x}`).join('\n')}` : '') +
    (r.reports.length ? `\nreport: ${r.reports[0]}` : '');
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        text,
        status: r.status,
        period: { from: r.period.from, to: r.period.to },
        reasons: r.reasons,
        reports: r.reports,
      }),
      signal: AbortSignal.timeout(15_000),
    });
    log({ event: 'notify', ok: res.ok, status: res.status });
  } catch (err) {
    // Never print the URL: it carries the webhook's secret.
    log({ event: 'notify', ok: false, error: (err as Error).name });
  }
}
