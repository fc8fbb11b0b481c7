// The SQL models, schema and named queries are read at run time beside the compiled modules
// (transform/sql.ts, queries/registry.ts resolve them from their own folder), so they go to dist/ too.
import { cpSync } from 'node:fs';

for (const dir of ['transform', 'queries']) {
  cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !/\.(ts|md)$/.test(src) });
}
