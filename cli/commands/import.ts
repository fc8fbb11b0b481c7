import type { Command } from 'commander';
import { configOf, optionsOf, printImportSummary, progressOf } from '../context.js';

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'land audit files (Graph pages, JSON, NDJSON, Event Hub / storage exports, gzip, folders) and transform them',
    )
    .argument('<paths...>', 'files or folders')
    .action(async (paths: string[], _o, cmd: Command) => {
      const { importPaths } = await import('../pipeline.js');
      const o = optionsOf(cmd);
      const summary = await importPaths(o.db, configOf(o), paths, progressOf(o), o.tenant);
      printImportSummary(o, { ...summary }, 'imported');
    });
}
