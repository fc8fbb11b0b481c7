import type { Command } from 'commander';
import { configOf, optionsOf, stderr } from '../context.js';

export function register(program: Command): void {
  program
    .command('transform')
    .description('transform whatever is landed but not yet in the database, and re-derive the PIM tables')
    .action(async (_o, cmd: Command) => {
      const { transformPending } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const c = await transformPending(o.db, configOf(o));
      stderr(
        `transformed: ${c.records} records: ${c.new} new, ${c.duplicates} duplicates, ${c.quarantined} quarantined`,
      );
    });
}
