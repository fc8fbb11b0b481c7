import type { Command } from 'commander';
import { configOf, optionsOf, stderr } from '../context.js';

export function register(program: Command): void {
  program
    .command('rebuild')
    .description('drop every derived table and rebuild them from the landing store, in manifest order')
    .action(async (_o, cmd: Command) => {
      const { rebuildAll } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const c = await rebuildAll(o.db, configOf(o));
      stderr(
        `rebuilt: ${c.records} records: ${c.new} stored, ${c.duplicates} duplicates, ${c.quarantined} quarantined`,
      );
      if (c.prunedFiles) {
        stderr(
          `  ${c.prunedFiles} landed files were pruned by retention: their records are no longer in the rebuilt tables`,
        );
      }
    });
}
