import type { Command } from 'commander';
import { PimopsError } from '../../core/errors.js';
import { parseSince } from '../../core/time.js';
import { configOf, optString, optionsOf, printJson, stderr, wantsJson } from '../context.js';

export function register(ingest: Command): void {
  ingest
    .command('log-analytics')
    .description('AuditLogs history from a Log Analytics workspace, in time slices (split when a slice is too large)')
    .option('--workspace <id>', 'workspace (customer) id (default: azure.workspaceId)')
    .option('--since <when>', 'start: an ISO time, a date, or an age like 2y / 90d (default: the watermark, else 90d)')
    .option('--until <when>', 'end (default: now)')
    .action(async (_o, cmd: Command) => {
      const { ingestLogAnalytics } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const workspaceId = (o.workspace as string | undefined) ?? config.azure.workspaceId;
      if (!workspaceId) throw new PimopsError('usage', 'Give --workspace ID or set azure.workspaceId in the config');
      const now = new Date();
      const r = await ingestLogAnalytics(
        o.db,
        config,
        {
          workspaceId,
          now,
          since: optString(o.since) ? parseSince(optString(o.since)!, now, '--since') : undefined,
          until: optString(o.until) ? parseSince(optString(o.until)!, now, '--until') : undefined,
        },
        (e) => stderr(JSON.stringify({ event: e.split ? 'split' : 'slice', ...e })),
      );
      if (wantsJson(o)) {
        printJson({
          window: r.window,
          slices: r.slices,
          splits: r.splits,
          landedFiles: r.landed.length,
          ...r.transformed,
        });
      }
      stderr(
        `log analytics ${r.window.from} → ${r.window.to}: ${r.slices} slices (${r.splits} splits), ${r.rows} rows; ` +
          `${r.transformed.new} new, ${r.transformed.duplicates} duplicates, ${r.transformed.quarantined} quarantined`,
      );
    });
}
