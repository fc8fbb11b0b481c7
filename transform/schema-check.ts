// A store made by an earlier pimops lacks what this version's schema adds (tables, appended columns such
// as tenant_id or via_group_id) until a writer opens it: ensureSchema creates and ALTERs them in place,
// and the writer's transform places records in their tenant and derives the PIM tables again. Readers
// open the store read-only and cannot, so when one fails this says why and what to run, instead of
// DuckDB's catalog or binder error.
import { existsSync } from 'node:fs';
import { Db } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { ensureSchema } from './index.js';

async function tableColumns(db: Db): Promise<Set<string>> {
  const rows = await db.all<{ t: string; c: string }>(
    `SELECT c.table_name AS t, c.column_name AS c
     FROM duckdb_columns() c JOIN duckdb_tables() USING (database_name, schema_name, table_name)
     WHERE c.schema_name = 'main' AND c.database_name = current_database()`,
  );
  return new Set([...rows.map((r) => r.t), ...rows.map((r) => `${r.t}.${r.c}`)]);
}

/** What this version's schema has that the store lacks: 'table' for a table, 'table.column' for a column of one it has. */
export async function missingFromStore(store: Db): Promise<string[]> {
  const fresh = await Db.open(':memory:');
  let expected: Set<string>;
  try {
    await ensureSchema(fresh);
    expected = await tableColumns(fresh);
  } finally {
    fresh.close();
  }
  const held = await tableColumns(store);
  const missing = [...expected].filter((k) => !held.has(k));
  // A missing table says it; its columns need not be listed again.
  // Tables first: a missing table says more than the columns of one that is there.
  const rank = (k: string) => (k.includes('.') ? 1 : 0);
  return missing
    .filter((k) => !k.includes('.') || !missing.includes(k.split('.')[0]))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The error to give instead of a failed reader's, when the store at path predates this version's schema. */
export async function outdatedStoreError(path: string): Promise<PimopsError | undefined> {
  if (!existsSync(path)) return undefined;
  const db = await Db.openReadOnly(path);
  try {
    const missing = await missingFromStore(db);
    if (!missing.length) return undefined;
    const shown = missing.slice(0, 4).join(', ') + (missing.length > 4 ? ` and ${missing.length - 4} more` : '');
    return new PimopsError(
      'database-outdated',
      `The store ${path} was made by an earlier pimops and lacks what this version adds (${shown}). ` +
        'Commands that only read open it read-only and cannot bring it up to date: run a writer once, ' +
        `'pimops transform --db ${path}' with the same --config (it adds them in place, places every record in its ` +
        'tenant and derives the PIM tables again), then this command.',
    );
  } finally {
    db.close();
  }
}
