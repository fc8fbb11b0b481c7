import type { Command } from 'commander';
import { parseSince } from '../../core/time.js';
import { configOf, optString, optionsOf, printJson, stderr, wantsJson } from '../context.js';

export function register(ingest: Command): void {
  ingest
    .command('log-analytics')
    .description('AuditLogs history from a Log Analytics workspace, in time slices (split when a slice is too large)')
    .option('--workspace <id>', 'workspace (customer) id (default: azure.workspaceId)')
    .option('--since <when>', 'start: an ISO time, a date, or an age like 2y / 90d (default: the watermark, else 90d)')
    .option('--until <when>', 'end (default: now)')
    .option('--all-tenants', 'every tenant the configuration lists, each from its own azure.workspaceId')
    .action(async (_o, cmd: Command) => {
      const { ingestLogAnalyticsTenants, pullTargets } = await import('../pulls.js');
      const { finishTenants } = await import('../tenant-outcomes.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const now = new Date();
      const targets = pullTargets(config, { tenant: o.tenant, allTenants: Boolean(o.allTenants) });
      const many = targets.length > 1 || Boolean(o.tenant || o.allTenants);
      const r = await ingestLogAnalyticsTenants(
        o.db,
        config,
        targets,
        {
          workspaceId: optString(o.workspace),
          now,
          since: optString(o.since) ? parseSince(optString(o.since)!, now, '--since') : undefined,
          until: optString(o.until) ? parseSince(optString(o.until)!, now, '--until') : undefined,
        },
        (e) =>
          stderr(JSON.stringify({ event: e.split ? 'split' : 'slice', ...e, tenant: many ? e.tenant : undefined })),
      );
      const t = r.transformed;
      const counts = `${t.new} new, ${t.duplicates} duplicates, ${t.quarantined} quarantined`;
      if (many) {
        finishTenants(
          o,
          'ingest log-analytics',
          r.tenants,
          { json: { ...t }, line: counts },
          (p) => ({ window: p.window, slices: p.slices, splits: p.splits, rows: p.rows, landedFiles: p.landed.length }),
          (p) => `${p.window.from} → ${p.window.to}: ${p.slices} slices, ${p.rows} rows`,
        );
        return;
      }
      const only = r.tenants[0];
      if (!only.ok) throw only.error;
      const p = only.result;
      if (wantsJson(o))
        printJson({ window: p.window, slices: p.slices, splits: p.splits, landedFiles: p.landed.length, ...t });
      stderr(
        `log analytics ${p.window.from} → ${p.window.to}: ${p.slices} slices (${p.splits} splits), ${p.rows} rows; ${counts}`,
      );
    });
}
