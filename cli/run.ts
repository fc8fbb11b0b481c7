// `pimops run`: the unattended job. Ingest the configured sources → transform → metrics and checks →
// reports with dated names → lake export → notification. Exit 0 when all is well; 1 when a target is
// breached, a finding reaches run.failOn, a step failed, or the newest data is older than
// run.maxDataAgeHours; 2 on usage or config errors.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../core/output.js';
import { resolve, join } from 'node:path';
import type { Config } from '../core/config.js';
import { PimopsError, asPimopsError } from '../core/errors.js';
import { gapError } from '../core/gaps.js';
import { Db } from '../core/db.js';
import { transformPending, withDb, withReadOnlyDb, pruneLanding } from './pipeline.js';
import { ingestGraph, ingestSnapshot, ingestLogAnalytics } from './pulls.js';
import { metricsReport } from '../reports/metrics.js';
import type { Period } from '../core/time.js';
import { runChecks, summarize, atOrAbove } from '../reports/checks.js';
import { buildReport, targetsOf, type ReportModel } from '../reports/report.js';
import { reportMail } from '../reports/mail.js';
import { sendMail } from '../ingest/graph/mail.js';
import { renderHtml, renderMarkdown, renderJson } from '../reports/render.js';
import { findingsCsv } from '../reports/report-file.js';
import { exportLake } from '../reports/lake.js';
import { exportSentinel } from '../reports/sentinel/index.js';
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
    for (const source of config.run.sources) {
      await step(`ingest ${source}`, async () => {
        if (source === 'graph') {
          const r = await ingestGraph(dbPath, config, {});
          return `${r.window.from} → ${r.window.to}: ${r.records} records, ${r.transformed.new} new`;
        }
        if (source === 'snapshot') {
          const r = await ingestSnapshot(dbPath, config);
          // One policy for partial failures: an unexpected gap fails the step; an expected one is named.
          if (r.gaps.failures.length) throw gapError('snapshot', r.gaps.failures);
          const warned = r.gaps.warnings.map((w) => `${w.name} not pulled (${w.expected})`).join('; ');
          return `observed ${r.observedAt}; ${warned ? `warnings: ${warned}` : 'all endpoints'}`;
        }
        if (!config.azure.workspaceId)
          throw new PimopsError('config-invalid', 'run.sources has log-analytics but azure.workspaceId is not set');
        const r = await ingestLogAnalytics(dbPath, config, { workspaceId: config.azure.workspaceId });
        return `${r.window.from} → ${r.window.to}: ${r.rows} rows, ${r.transformed.new} new`;
      });
    }
    if (!config.run.sources.length)
      await step('transform', async () => {
        const c = await transformPending(dbPath, config);
        return `${c.new} new records`;
      });

    let newest: Date | null = null;
    await step('metrics and checks', async () =>
      withReadOnlyDb(dbPath, config, async (db) => {
        const m = await metricsReport(db, config, period);
        const findings = await runChecks(db, config, period);
        const summary = summarize(findings);
        const failing = targetsOf(m, summary, config).filter((t) => t.status === 'fail' && t.id !== 'findings');
        for (const t of failing) result.reasons.push(`target breached: ${t.name} = ${t.value} (target ${t.target})`);
        const severe = atOrAbove(findings, config.run.failOn);
        if (severe.length) result.reasons.push(`${severe.length} finding(s) at or above ${config.run.failOn}`);
        newest = m.coverage.lastEvent ? new Date(m.coverage.lastEvent) : null;
        return `${failing.length} target(s) breached; findings ${JSON.stringify(summary)}`;
      }),
    );
    const ageHours = newest ? (period.asOf.getTime() - (newest as Date).getTime()) / 3_600_000 : Infinity;
    if (ageHours > config.run.maxDataAgeHours)
      result.reasons.unshift(
        `stale: the newest audit record is ${Number.isFinite(ageHours) ? `${Math.round(ageHours)} h` : 'missing'} old at ${period.asOf.toISOString()} (limit ${config.run.maxDataAgeHours} h)`,
      );

    let built: { model: ReportModel; html: string } | undefined;
    await step('reports', async () => {
      const db = await Db.openReadOnly(dbPath, { memoryLimit: config.storage.memoryLimit });
      try {
        const model = await buildReport(db, config, period, { compare: config.run.compare, pseudonymize: false });
        built = { model, html: renderHtml(model) };
        const dir = resolve(config.run.reportDir);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const stem = `pimops-${period.from.toISOString().slice(0, 10)}`;
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
    if (mail && built) {
      const { model, html } = built;
      await step('mail', async () => {
        const message = reportMail(model, html, {
          to: mail.to,
          subjectPrefix: mail.subjectPrefix,
          fileName: `pimops-${period.from.toISOString().slice(0, 10)}.html`,
        });
        await sendMail(config, createCredential(config), mail.from, message);
        // Who and how many, never the message or a token: the log is read by more people than the report.
        return `sent to ${mail.to.length} recipient(s)${message.attachments.length ? ', report attached' : ', report too large to attach'}`;
      });
    }
    if (config.run.lakeDir)
      await step('export parquet', async () =>
        withDb(dbPath, config, async (db) => {
          const r = await exportLake(db, config, config.run.lakeDir!);
          return `${r.partitionsWritten} partitions written`;
        }),
      );

    if (config.run.sentinelDir) {
      await step('export sentinel', async () =>
        withDb(dbPath, config, async (db) => {
          const r = await exportSentinel(db, config, config.run.sentinelDir!, {
            period: { ...period, asOf: new Date() },
            upload: config.run.sentinelUpload,
            credential: () => createCredential(config),
          });
          const rows = Object.values(r.tables);
          if (r.failures.length)
            throw new PimopsError(
              'azure-request',
              `the ingestion API refused ${r.failures.reduce((n, f) => n + f.rows, 0)} rows; they are sent again next run`,
            );
          return `${rows.reduce((n, t) => n + t.pending, 0)} rows ${r.uploaded ? 'sent' : 'written'}`;
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
