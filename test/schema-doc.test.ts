// docs/schema.md is the contract for ad hoc SQL users: it must match the database exactly.
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

function documented(): Map<string, Map<string, string>> {
  const tables = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of readFileSync('docs/schema.md', 'utf8').split('\n')) {
    const h = /^## (\w+)$/.exec(line);
    if (h) {
      current = h[1] === 'Helpers' ? undefined : new Map();
      if (current) tables.set(h[1], current);
      continue;
    }
    const row = /^\| (\w+) \| (.+?) \| .*\|$/.exec(line);
    if (current && row && row[1] !== 'column') current.set(row[1], row[2]);
  }
  return tables;
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('docs/schema.md', () => {
  it('lists every table and column with its type', async () => {
    const t = generateTenant({ seed: 3, admins: 4, start: new Date('2026-01-01T00:00:00Z'), days: 20 });
    emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 3 });
    const config = testConfig({}, tmp.dir);
    const db = join(tmp.dir, 'p.duckdb');
    await importPaths(db, config, [join(tmp.dir, 'in')]);
    const docs = documented();
    expect([...docs.keys()].sort()).toEqual([
      'access_review_decisions',
      'access_review_definitions',
      'access_review_instances',
      'activation_instances',
      'audit_events',
      'coverage_starts',
      'directory_users',
      'id_conflicts',
      'int_pim_events',
      'landing_files',
      'pim_activations',
      'pim_approvals',
      'pim_requests',
      'pim_scopes',
      'quarantine',
      'role_assignments',
      'role_definitions',
      'role_policies',
      'sign_ins',
    ]);
    const actual = await withDb(db, config, (d) =>
      d.all<{ table_name: string; column_name: string; data_type: string }>(
        `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name IN (${[...docs.keys()].map((k) => `'${k}'`).join(',')}) ORDER BY table_name, ordinal_position`,
      ),
    );
    for (const [table, cols] of docs) {
      const real = actual.filter((r) => r.table_name === table);
      expect(
        real.map((r) => r.column_name),
        table,
      ).toEqual([...cols.keys()]);
      for (const r of real)
        expect(cols.get(r.column_name), `${table}.${r.column_name}`).toBe(r.data_type.replaceAll('"type"', '"type"'));
    }
  });
});
