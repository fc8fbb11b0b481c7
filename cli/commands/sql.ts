import type { Command } from 'commander';
import { PimopsError } from '../../core/errors.js';
import { configOf, optionsOf } from '../context.js';

export function register(program: Command): void {
  program
    .command('sql')
    .description('run ad hoc SQL on a read-only, sandboxed connection; results stream to stdout or --out')
    .argument('<statement>', 'the SQL to run (several statements: the last one answers)')
    .option('--write', 'open the database read-write (any statement; file access stays off unless --allow-files)')
    .option('--allow-files', 'with --write: let the SQL read and write files (COPY, read_csv, …)')
    .option('--timeout <seconds>', 'stop a statement that runs longer (default: sql.timeoutSeconds, 300)')
    .option('--out <file>', 'write the result to a file (required for arrow and parquet)')
    .action(async (statement: string, _o, cmd: Command) => {
      const { requireDatabase, Db } = await import('../../core/db.js');
      const { runAdHoc } = await import('../../core/adhoc.js');
      const { emitResult } = await import('../results.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      if (o.allowFiles && !o.write)
        throw new PimopsError('usage', '--allow-files goes with --write (a read-only session never touches files)');
      const timeoutSeconds = o.timeout === undefined ? config.sql.timeoutSeconds : Number(o.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
        throw new PimopsError('usage', `--timeout takes seconds, got '${String(o.timeout)}'`);
      if (o.write && o.tenant)
        throw new PimopsError('usage', '--tenant scopes a read-only session; a --write session sees every tenant');
      requireDatabase(o.db);
      const db = o.write
        ? await Db.open(o.db, { memoryLimit: config.storage.memoryLimit })
        : await Db.openReadOnly(o.db, { memoryLimit: config.storage.memoryLimit, maxTempSize: config.sql.maxTempSize });
      try {
        // Even a writer's session reaches no file unless asked: COPY TO and read_* are how data leaves.
        if (o.write && !o.allowFiles) await db.run('SET enable_external_access = false');
        // Scoping is for answers, not a boundary: a statement naming <store>.main.<table> still sees every tenant.
        if (!o.write) await (await import('../../core/tenants.js')).applyTenant(db, config, o.tenant, { all: true });
        const res = await runAdHoc(db, statement, { timeoutSeconds, sandboxed: !o.write });
        await emitResult(o, res);
      } finally {
        db.close();
      }
    });
}
