import type { Command } from 'commander';
import { Db } from '../../core/db.js';
import { sqlError } from '../../core/errors.js';
import { optionsOf } from '../context.js';
import { emitResult } from '../results.js';

export function register(program: Command): void {
  program
    .command('sql')
    .description('run ad hoc SQL on a read-only, sandboxed connection')
    .argument('<statement>', 'the SQL to run')
    .option('--write', 'allow writes (opens the database read-write, with no sandbox)')
    .option('--out <file>', 'write the result to a file (required for arrow and parquet)')
    .action(async (statement: string, _o, cmd: Command) => {
      const o = optionsOf(cmd);
      const db = o.write ? await Db.open(o.db) : await Db.openReadOnly(o.db);
      try {
        const res = await db.allJsRows(statement).catch((err: unknown) => {
          throw sqlError(err);
        });
        await emitResult(o, res);
      } finally {
        db.close();
      }
    });
}
