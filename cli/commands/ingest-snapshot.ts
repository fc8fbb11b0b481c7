import type { Command } from 'commander';
import { gapError } from '../../core/gaps.js';
import { configOf, optionsOf, printJson, stderr, wantsJson } from '../context.js';

export function register(ingest: Command): void {
  ingest
    .command('snapshot')
    .description(
      'PIM state of every plane (Entra roles and PIM for Groups from Graph, Azure resources from ARM): eligible and active assignments, role settings, role definitions, access reviews, users',
    )
    .option('--all-tenants', 'every tenant the configuration lists, each with its own credential')
    .action(async (_o, cmd: Command) => {
      const { gapsAsFailures, ingestSnapshotTenants, pullTargets } = await import('../pulls.js');
      const { finishTenants } = await import('../tenant-outcomes.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const targets = pullTargets(config, { tenant: o.tenant, allTenants: Boolean(o.allTenants) });
      const r = await ingestSnapshotTenants(o.db, config, targets);
      const rows = r.transformed.snapshotRows ?? 0;
      if (targets.length > 1 || o.tenant || o.allTenants) {
        finishTenants(
          o,
          'ingest snapshot',
          gapsAsFailures(r.tenants),
          { json: { snapshotRows: rows }, line: `${rows} rows loaded` },
          (s) => ({ observedAt: s.observedAt, endpoints: s.endpoints, gaps: s.gaps }),
          (s) =>
            `observed ${s.observedAt}: ${s.endpoints.filter((e) => !e.error).length} endpoints answered${s.gaps.warnings.length ? `; not pulled: ${s.gaps.warnings.map((w) => w.name).join(', ')}` : ''}`,
        );
        return;
      }
      const only = r.tenants[0];
      if (!only.ok) throw only.error;
      const s = only.result;
      if (wantsJson(o))
        printJson({ observedAt: s.observedAt, endpoints: s.endpoints, snapshotRows: rows, gaps: s.gaps });
      for (const e of s.endpoints) stderr(`${e.error ? '✗' : '✓'} ${e.name}: ${e.error ?? `${e.records} records`}`);
      stderr(`snapshot observed at ${s.observedAt}: ${rows} rows loaded`);
      for (const w of s.gaps.warnings) stderr(`warning: ${w.name} not pulled (${w.reason}): ${w.expected}`);
      if (s.gaps.failures.length) throw gapError('snapshot', s.gaps.failures);
    });
}
