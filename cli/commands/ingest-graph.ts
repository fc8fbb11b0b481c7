import type { Command } from 'commander';
import { parseSince } from '../../core/time.js';
import { configOf, optString, optionsOf, printJson, stderr, wantsJson } from '../context.js';

export function register(ingest: Command): void {
  ingest
    .command('graph')
    .description('Microsoft Graph auditLogs/directoryAudits, incremental from the last run (minus an overlap)')
    .option(
      '--since <when>',
      'start: an ISO time, a date, or an age like 30d / 12h (default: the watermark, else retention)',
    )
    .option('--until <when>', 'end (default: now)')
    .option('--all-tenants', 'every tenant the configuration lists, each with its own credential and watermark')
    .action(async (_o, cmd: Command) => {
      const { ingestGraphTenants, pullTargets } = await import('../pulls.js');
      const { finishTenants } = await import('../tenant-outcomes.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const now = new Date();
      const since = optString(o.since) ? parseSince(optString(o.since)!, now, '--since') : undefined;
      const until = optString(o.until) ? parseSince(optString(o.until)!, now, '--until') : undefined;
      const targets = pullTargets(config, { tenant: o.tenant, allTenants: Boolean(o.allTenants) });
      const many = targets.length > 1 || Boolean(o.tenant || o.allTenants);
      const { SingleBar, Presets } = await import('cli-progress');
      const bar =
        process.stderr.isTTY && !many
          ? new SingleBar(
              {
                format: 'graph {stream} | page {page} | {records} records | {rate} rec/s | newest {newest}',
                hideCursor: true,
              },
              Presets.shades_classic,
            )
          : undefined;
      const t0 = Date.now();
      bar?.start(1, 0, { stream: '', page: 0, records: 0, rate: 0, newest: '' });
      const r = await ingestGraphTenants(
        o.db,
        config,
        targets,
        { since, until, now },
        {
          onPage: (e, tenant) => {
            const rate = Math.round(e.totalRecords / Math.max(0.001, (Date.now() - t0) / 1000));
            if (bar)
              bar.update(0, {
                stream: e.stream,
                page: e.page,
                records: e.totalRecords,
                rate,
                newest: e.newestTime ?? '',
              });
            else stderr(JSON.stringify({ event: 'page', ...(many ? { tenant } : {}), ...e, ratePerSecond: rate }));
          },
          onRetry: (reason, attempt, waitMs) => {
            if (!bar) stderr(JSON.stringify({ event: 'retry', reason, attempt, waitMs }));
          },
        },
      ).finally(() => bar?.stop());
      const t = r.transformed;
      const counts = `${t.new} new, ${t.duplicates} duplicates, ${t.quarantined} quarantined`;
      if (many) {
        finishTenants(
          o,
          'ingest graph',
          r.tenants,
          { json: { ...t }, line: counts },
          (p) => ({
            window: p.window,
            pages: p.pages,
            pulled: p.records,
            landedFiles: p.landed.length,
            retention: p.retention,
            retentionGap: p.retentionGap ?? null,
          }),
          (p) =>
            `${p.window.from} → ${p.window.to}: ${p.pages} pages, ${p.records} records${p.retentionGap ? `; nothing can be had before ${p.retentionGap.to} (${p.retention.note})` : ''}`,
        );
        return;
      }
      const only = r.tenants[0];
      if (!only.ok) throw only.error;
      const result = only.result;
      if (result.retentionGap) {
        stderr(
          `no audit data can be had from ${result.retentionGap.from} to ${result.retentionGap.to}: Graph keeps ` +
            `${result.retention.days} days (older history: Log Analytics or a storage export)`,
        );
      }
      stderr(`retention: ${result.retention.note}`);
      if (wantsJson(o)) {
        printJson({
          window: result.window,
          pages: result.pages,
          pulled: result.records,
          landedFiles: result.landed.length,
          ...t,
          resumedAfterBrokenLink: result.resumedAfterBrokenLink,
          retention: result.retention,
        });
      }
      stderr(
        `graph ${result.window.from} → ${result.window.to}: ${result.pages} pages, ${result.records} records; ${counts}`,
      );
    });
}
