// The queries the report's findings-by-rule and its asked-for lines read, worked out by hand on a
// real DuckDB file: hand-made rows in the derived tables, counts computed on paper.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { withDb } from '../cli/pipeline.js';
import { runQuery, pickParams } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { derivePim } from '../transform/index.js';
import type { Row } from '../core/db.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const OCT = {
  from: new Date('2026-10-01T00:00:00Z'),
  to: new Date('2026-11-01T00:00:00Z'),
  asOf: new Date('2026-11-01T00:00:00Z'),
};

/** Runs named queries over a fresh store holding only the rows given. */
async function store(
  rows: string[],
  queries: string[],
  over: Record<string, unknown> = {},
  period = OCT,
): Promise<Record<string, Row[]>> {
  const dir = join(tmp.dir, `s${Math.random().toString(36).slice(2)}`);
  const config = testConfig(over, dir);
  return withDb(join(dir, 'p.duckdb'), config, async (x) => {
    await derivePim(x, config);
    for (const r of rows) await x.run(r);
    const params = configParams(config, period);
    const out: Record<string, Row[]> = {};
    for (const q of queries) out[q] = await runQuery(x, q, pickParams(q, params));
    return out;
  });
}

const act = (who: string, at: string, o: { plane?: string; known?: boolean } = {}) =>
  `INSERT INTO pim_activations (request_key, plane, principal_id, role_id, activated_at, started_at, start_known)
   VALUES ('${who}-${at}', '${o.plane ?? 'entra_role'}', '${who}', 'r1', '${at}', '${at}', ${o.known ?? true})`;
const req = (who: string, at: string, type = 'activate', plane = 'entra_role') =>
  `INSERT INTO pim_requests (request_key, request_type, plane, principal_id, role_id, requested_at)
   VALUES ('${who}-${at}-${type}', '${type}', '${plane}', '${who}', 'r1', '${at}')`;

describe('populations', () => {
  it('admins who activated an Entra role in the period; people who asked to activate anything', async () => {
    const r = await store(
      [
        act('a', '2026-10-01T00:00:00Z'), // first instant: in
        act('a', '2026-10-05T00:00:00Z'), // same admin twice: one
        act('b', '2026-10-31T23:59:59Z'),
        act('c', '2026-11-01T00:00:00Z'), // period end: out
        act('d', '2026-10-10T00:00:00Z', { plane: 'group' }), // another plane: out
        act('e', '2026-10-10T00:00:00Z', { known: false }), // began before the data: out
        req('a', '2026-10-02T00:00:00Z'),
        req('f', '2026-10-03T00:00:00Z', 'activate', 'group'), // any plane counts for justifications
        req('g', '2026-10-03T00:00:00Z', 'assign_eligible'), // not an activation request
        req('h', '2026-09-30T23:59:59Z'), // before the period
      ],
      ['population_activating_admins', 'population_requesters'],
    );
    // a, b → 2; a, f → 2
    expect(r.population_activating_admins).toEqual([{ population: 2n, unit: 'admins who activated an Entra role' }]);
    expect(r.population_requesters).toEqual([{ population: 2n, unit: 'people who asked to activate a role' }]);
  });
});
