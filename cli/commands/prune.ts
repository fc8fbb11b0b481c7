import type { Command } from 'commander';
import { PimopsError } from '../../core/errors.js';
import { configOf, optionsOf, printJson, stderr, wantsJson } from '../context.js';

export function register(program: Command): void {
  program
    .command('prune')
    .description(
      'delete landed files older than storage.retainLandingDays (their records stay in the database; a rebuild can no longer reproduce them)',
    )
    .action(async (_o, cmd: Command) => {
      const { pruneLanding } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      if (!config.storage.retainLandingDays) {
        throw new PimopsError('usage', 'storage.retainLandingDays is not set: landed files are kept (the default).');
      }
      const r = await pruneLanding(o.db, config);
      if (wantsJson(o)) printJson(r);
      stderr(
        r.files
          ? `pruned ${r.files} landed files (${r.records} records from ${r.from} to ${r.to}): they stay in the database, ` +
              "but 'pimops rebuild' can no longer reproduce them"
          : 'nothing to prune',
      );
    });
}
