import type { Command } from 'commander';
import { configOf, optionsOf } from '../context.js';

export function register(program: Command): void {
  program
    .command('shell')
    .description(
      'interactive read-only SQL on a snapshot copy of the database (never blocks an import or the scheduled run)',
    )
    .action(async (_o, cmd: Command) => {
      const { runShell } = await import('../shell.js');
      const o = optionsOf(cmd);
      await runShell(o.db, configOf(o));
    });
}
