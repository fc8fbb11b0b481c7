// The finding contract (queries/findings.ts): every check returns exactly its columns, in order,
// with its types, run on a real store built from the generator with sign-ins; each check's own SQL
// selects exactly the columns the contract leaves to it (none dropped silently, none missing), and
// emits only the severities its header declares.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { generateTenant, emitFiles, emitSignIns } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { allQueries, pickParams, bind } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { FINDING_COLUMNS, CHECK_COLUMNS } from '../queries/findings.js';
import { tempDir, testConfig } from './helpers.js';
import type { Config } from '../core/config.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('the finding contract', () => {
  let db = '';
  let config: Config;
  const start = new Date('2026-05-01T00:00:00Z');
  const t = generateTenant({ seed: 11, admins: 12, start, days: 45 });
  const period = { from: new Date(start.getTime() + 86_400_000), to: t.end, asOf: t.end };
  beforeAll(async () => {
    emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 11 });
    emitSignIns(t.signIns, join(tmp.dir, 'in'));
    config = testConfig({ breakGlassAccounts: t.breakGlass.map((b) => b.upn!) }, tmp.dir);
    db = join(tmp.dir, 'p.duckdb');
    await importPaths(db, config, [join(tmp.dir, 'in')]);
  });
  const checks = [...allQueries().values()].filter((q) => q.rule);

  it('every check returns rule_id, tenant_id and the rest, in order, with their types', async () => {
    expect(checks.length).toBeGreaterThan(30);
    const all = configParams(config, period);
    await withDb(db, config, async (x) => {
      let rows = 0;
      for (const q of checks) {
        const r = await x.allJson(q.sql, bind(q, pickParams(q.id, all)));
        expect(
          r.columns.map((c, i) => [c, r.types[i]]),
          q.id,
        ).toEqual(FINDING_COLUMNS.map((c) => [c.name, c.type]));
        expect(q.columns, q.id).toEqual(FINDING_COLUMNS.map((c) => c.name));
        for (const row of r.rows) {
          expect(row.rule_id, q.id).toBe(q.rule!.id);
          expect(row.tenant_id, q.id).toBeNull();
          expect(q.rule!.severities, `${q.id} emitted ${row.severity}`).toContain(row.severity);
        }
        rows += r.rows.length;
      }
      expect(rows).toBeGreaterThan(20);
    });
  });

  it("each check's own SQL selects exactly the contract's remaining columns, in order", async () => {
    const all = configParams(config, period);
    await withDb(db, config, async (x) => {
      for (const q of checks) {
        // The SQL inside the registry's wrapper, described on its own.
        const inner = q.sql.slice(q.sql.indexOf('FROM (\n') + 7, q.sql.lastIndexOf('\n) AS finding'));
        const r = await x.allJson(`SELECT * FROM (${inner}) LIMIT 0`, bind(q, pickParams(q.id, all)));
        expect(r.columns, q.id).toEqual(CHECK_COLUMNS);
      }
    });
  });
});
