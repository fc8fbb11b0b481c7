// Result rows from `query` and `sql`, streamed to stdout or to --out (any format; arrow and parquet only to a file).
import { sqlError } from '../core/errors.js';
import { emitRowStream, type RowStream } from '../reports/emit.js';
import { defaultRowFormat, out, stderr, type Options } from './context.js';

export async function emitResult(o: Options, res: RowStream): Promise<void> {
  // A query can fail while its rows are read, after the first batch: the same error either way.
  const r = await emitRowStream(
    res,
    { format: o.format, json: o.json, out: o.out as string | undefined, fallback: defaultRowFormat() },
    out,
  ).catch((err: unknown) => {
    throw sqlError(err);
  });
  if (r.path) stderr(`wrote ${r.rows} rows to ${r.path} (${r.format})`);
}
