// Result rows from `query` and `sql` to stdout, or to --out (any format; arrow and parquet only to a file).
import { emitRows } from '../reports/emit.js';
import type { TypedRows } from '../reports/binary.js';
import { defaultRowFormat, out, stderr, type Options } from './context.js';

export async function emitResult(o: Options, res: TypedRows): Promise<void> {
  const r = await emitRows(res, {
    format: o.format,
    json: o.json,
    out: o.out as string | undefined,
    fallback: defaultRowFormat(),
  });
  if (r.kind === 'text') out(r.text);
  else
    stderr(
      `wrote ${r.rows} rows to ${r.path}${r.format === 'arrow' || r.format === 'parquet' ? ` (${r.format})` : ''}`,
    );
}
