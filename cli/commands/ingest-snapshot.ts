import type { Command } from 'commander';
import { gapError } from '../../core/gaps.js';
import { configOf, optionsOf, printJson, stderr, wantsJson } from '../context.js';

export function register(ingest: Command): void {
  ingest
    .command('snapshot')
    .description(
      'PIM state of every plane (Entra roles and PIM for Groups from Graph, Azure resources from ARM): eligible and active assignments, role settings, role definitions, access reviews, users',
    )
    .action(async (_o, cmd: Command) => {
      const { ingestSnapshot } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const r = await ingestSnapshot(o.db, configOf(o));
      const rows = r.transformed.snapshotRows ?? 0;
      if (wantsJson(o))
        printJson({ observedAt: r.observedAt, endpoints: r.endpoints, snapshotRows: rows, gaps: r.gaps });
      for (const e of r.endpoints) stderr(`${e.error ? '✗' : '✓'} ${e.name}: ${e.error ?? `${e.records} records`}`);
      stderr(`snapshot observed at ${r.observedAt}: ${rows} rows loaded`);
      for (const w of r.gaps.warnings) stderr(`warning: ${w.name} not pulled (${w.reason}): ${w.expected}`);
      if (r.gaps.failures.length) throw gapError('snapshot', r.gaps.failures);
    });
}
