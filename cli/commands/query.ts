import type { Command } from 'commander';
import { PimopsError, sqlError } from '../../core/errors.js';
import { collect, configOf, defaultRowFormat, optionsOf, out, periodOf } from '../context.js';

function parseParam(kv: string): [string, string] {
  const eq = kv.indexOf('=');
  if (eq < 1) throw new PimopsError('usage', `--param takes k=v, got '${kv}'`);
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

export function register(program: Command): void {
  program
    .command('query')
    .description('run a named query from queries/ (see --list)')
    .argument('[id]', 'query id')
    .option('--list', 'list the named queries and their parameters')
    .option('--param <k=v>', 'a parameter (repeatable)', collect, [] as string[])
    .option('--from <date>', 'sets the from parameter')
    .option('--to <date>', 'sets the to parameter')
    .option('--as-of <time>', 'sets the as_of parameter')
    .option('--out <file>', 'write the result to a file (required for arrow and parquet)')
    .action(async (id: string | undefined, _o, cmd: Command) => {
      const { Db } = await import('../../core/db.js');
      const { allQueries, getQuery, streamQuery, pickParams } = await import('../../queries/registry.js');
      const { configParams } = await import('../../queries/params.js');
      const { parseFormat, renderRows } = await import('../../reports/format.js');
      const { emitResult } = await import('../results.js');
      const o = optionsOf(cmd);
      if (o.list || !id) {
        const rows = [...allQueries().values()].map((q) => ({
          id: q.id,
          title: q.title,
          parameters: q.parameters.map((p) => `${p.name} ${p.type}`).join(', '),
        }));
        out(renderRows(['id', 'title', 'parameters'], rows, parseFormat(o.format, o.json, defaultRowFormat())));
        return;
      }
      const shared = configOf(o);
      const q = getQuery(id);
      const period = periodOf(o);
      const extra = (o.param as string[]).map(parseParam);
      const db = await Db.openReadOnly(o.db, { memoryLimit: shared.storage.memoryLimit });
      try {
        const { applyTenant } = await import('../../core/tenants.js');
        const { config } = await applyTenant(db, shared, o.tenant);
        const params = pickParams(q.id, configParams(config, period));
        for (const [k, v] of extra) params[k] = v;
        const res = await streamQuery(db, q.id, params).catch((err: unknown) => {
          throw sqlError(err);
        });
        await emitResult(o, res);
      } finally {
        db.close();
      }
    });
}
