// transform/models.ts is the one place the models and their order are declared: it must name every
// SQL file in its layer folder, say truly what each model reads (as DuckDB's own parser sees the
// SQL), and put every model after what it reads, since stage and derive run them in that order.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MODELS, SOURCES, DERIVED_MODELS, STAGED_FLAVORS, type ModelName } from '../transform/models.js';
import { modelSql } from '../transform/sql.js';
import { Db } from '../core/db.js';
import { PimopsError } from '../core/errors.js';

const LAYERS = ['staging', 'intermediate', 'marts'];

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith('.sql') ? [join(dir, e.name)] : [],
  );
}

/** The tables a model's SQL reads, from DuckDB's parse tree: base table references that are not its own CTEs. */
async function tablesRead(db: Db, sql: string): Promise<string[]> {
  const r = await db.one<{ j: string }>('SELECT json_serialize_sql(CAST($q AS VARCHAR)) AS j', { q: sql });
  const tree = JSON.parse(r!.j);
  expect(tree.error).toBe(false);
  const tables = new Set<string>();
  const ctes = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') tables.add(o.table_name);
    const map = (o.cte_map as { map?: { key: string }[] } | undefined)?.map;
    for (const e of map ?? []) ctes.add(e.key);
    Object.values(o).forEach(walk);
  };
  walk(tree);
  return [...tables].filter((t) => !ctes.has(t)).sort();
}

let db: Db;
beforeAll(async () => {
  db = await Db.open(':memory:');
});
afterAll(() => db?.close());

describe('transform/models.ts', () => {
  it('names every SQL file under models/, each in its layer folder', () => {
    const root = join('transform', 'models');
    const onDisk = sqlFiles(root)
      .map((f) => relative(root, f).split('\\').join('/'))
      .sort();
    expect(onDisk).toEqual(MODELS.map((m) => `${m.layer}/${m.name}.sql`).sort());
    for (const m of MODELS) expect(modelSql(m.name)).toMatch(new RegExp(`^-- ${m.name}\\b`));
  });

  it('refuses a model it does not declare', () => {
    expect(() => modelSql('stg_nothing' as ModelName)).toThrow(PimopsError);
  });

  it('says what each model reads, as DuckDB parses it', async () => {
    for (const m of MODELS)
      expect({ model: m.name, reads: await tablesRead(db, modelSql(m.name)) }).toEqual({
        model: m.name,
        reads: [...m.reads].sort(),
      });
  });

  it('runs every model after what it reads, layer by layer', () => {
    const made = new Set<string>();
    let layer = 0;
    for (const m of MODELS) {
      for (const r of m.reads)
        expect({ model: m.name, read: r, available: made.has(r) || SOURCES.includes(r) }).toEqual({
          model: m.name,
          read: r,
          available: true,
        });
      made.add(m.output);
      expect(LAYERS.indexOf(m.layer)).toBeGreaterThanOrEqual(layer);
      layer = LAYERS.indexOf(m.layer);
    }
    expect(DERIVED_MODELS).toEqual([
      'int_pim_events',
      'pim_activations',
      'pim_requests',
      'role_assignments',
      'pim_approvals',
    ]);
    expect(STAGED_FLAVORS).toEqual(['graph', 'diagnostic', 'log_analytics']);
  });
});
