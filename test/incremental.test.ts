// Incremental derivation gives the same PIM tables as deriving everything at once, whatever order
// the files arrive in: requests landing after their activation, keyless steps paired across files,
// ends matched to activations imported earlier. The order is shuffled with a fixed seed.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths, withDb, landingStore } from '../cli/pipeline.js';
import { fileSource } from '../ingest/files/index.js';
import { transform } from '../transform/index.js';
import { Db } from '../core/db.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const DERIVED = ['int_pim_events', 'pim_activations', 'pim_requests', 'role_assignments', 'pim_approvals'];

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Rows of `table` in one database and not in the other (as multisets), both ways. */
async function difference(
  a: string,
  b: string,
  table: string,
): Promise<{ onlyA: number; onlyB: number; rows: number }> {
  const db = await Db.open(':memory:');
  try {
    await db.run(`ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY);`);
    const r = await db.one<{ only_a: bigint; only_b: bigint; n: bigint }>(`SELECT
      (SELECT count(*) FROM (SELECT * FROM a.${table} EXCEPT ALL SELECT * FROM b.${table})) AS only_a,
      (SELECT count(*) FROM (SELECT * FROM b.${table} EXCEPT ALL SELECT * FROM a.${table})) AS only_b,
      (SELECT count(*) FROM a.${table}) AS n`);
    return { onlyA: Number(r!.only_a), onlyB: Number(r!.only_b), rows: Number(r!.n) };
  } finally {
    db.close();
  }
}

describe('incremental derivation', () => {
  it('derives the same tables file by file, in shuffled order, as from everything at once', async () => {
    const t = generateTenant({ seed: 42, admins: 10, start: new Date('2026-03-01T00:00:00Z'), days: 40 });
    const emitted = emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 42, chunk: 100, overlap: 7 });
    expect(emitted.files.length).toBeGreaterThan(15);
    const config = testConfig({}, join(tmp.dir, 'all'));
    const all = join(tmp.dir, 'all', 'p.duckdb');
    await importPaths(all, config, [join(tmp.dir, 'in')]);

    const configInc = testConfig({}, join(tmp.dir, 'inc'));
    const inc = join(tmp.dir, 'inc', 'p.duckdb');
    const store = landingStore(inc, configInc);
    const modes: string[] = [];
    const order = shuffled(emitted.files, 7);
    for (let i = 0; i < order.length; i += 2) {
      await fileSource.land(store, { paths: order.slice(i, i + 2) });
      const r = await withDb(inc, configInc, (db) => transform(db, store, configInc));
      modes.push(r.derived);
    }
    expect(modes[0]).toBe('full');
    // A file older than everything held moves the coverage start (the lower bound of activations the
    // data began after): that step derives in full. The rest are incremental.
    expect(modes.slice(1).filter((m) => m === 'incremental').length).toBeGreaterThan(modes.length / 2);

    for (const table of DERIVED) {
      const d = await difference(all, inc, table);
      expect(d, table).toEqual({ onlyA: 0, onlyB: 0, rows: d.rows });
      expect(d.rows, `${table} has rows`).toBeGreaterThan(0);
    }
    // The cases that make incremental derivation hard are in the data: keyless pairs and time-matched ends.
    await withDb(all, config, async (db) => {
      const r = await db.one<{ paired: bigint; ended: bigint }>(`SELECT
        (SELECT count(*) FROM int_pim_events WHERE request_key LIKE 'pair:%' AND step = 'activated') AS paired,
        (SELECT count(*) FROM pim_activations WHERE end_reason = 'deactivated') AS ended`);
      expect(Number(r!.paired)).toBeGreaterThan(5);
      expect(Number(r!.ended)).toBeGreaterThan(5);
    });
  });

  it('derives a request again with all its rows when a later file brings rows of it in another partition', async () => {
    // A request step without its user target (the principal is unknown there) sits in another
    // partition than the activation that arrives later under the same key: the key pulls it in.
    const t = generateTenant({ seed: 7, admins: 4, start: new Date('2026-05-01T00:00:00Z'), days: 10 });
    const i = t.records.findIndex(
      (r) =>
        r.activityDisplayName === 'Add member to role requested (PIM activation)' &&
        r.additionalDetails.some((d) => d.key === 'RoleAssignmentRequestId'),
    );
    expect(i).toBeGreaterThanOrEqual(0);
    const request = { ...t.records[i], targetResources: t.records[i].targetResources.filter((x) => x.type !== 'User') };
    const key = request.additionalDetails.find((d) => d.key === 'RoleAssignmentRequestId')!.value.toLowerCase();
    const dir = join(tmp.dir, 'split');
    mkdirSync(dir, { recursive: true });
    const first = join(dir, 'a.ndjson');
    const second = join(dir, 'b.ndjson');
    writeFileSync(first, JSON.stringify(request) + '\n');
    writeFileSync(
      second,
      t.records
        .filter((_, j) => j !== i)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );

    const all = join(dir, 'all.duckdb');
    const inc = join(dir, 'inc.duckdb');
    const config = testConfig({}, join(dir, 'all'));
    const configInc = testConfig({}, join(dir, 'inc'));
    await importPaths(all, config, [first, second]);
    await importPaths(inc, configInc, [first]);
    await importPaths(inc, configInc, [second]);
    for (const table of DERIVED) {
      const d = await difference(all, inc, table);
      expect(d, table).toEqual({ onlyA: 0, onlyB: 0, rows: d.rows });
    }
    await withDb(inc, configInc, async (db) => {
      const r = await db.one<{ requested_at: unknown; principal_id: string | null; activated_at: unknown }>(
        'SELECT requested_at, principal_id, activated_at FROM pim_requests WHERE request_key = $k',
        { k: key },
      );
      expect(r?.requested_at).toBeTruthy();
      expect(r?.activated_at).toBeTruthy();
      expect(r?.principal_id).toBeTruthy();
    });
  });

  it('ends an activation imported earlier when its expiry, in another partition, arrives later', async () => {
    // An expiry record without its user target falls in another partition than the activation it
    // ends; it still ends it by key, and the activation's partition has to be derived again.
    const t = generateTenant({ seed: 7, admins: 4, start: new Date('2026-05-01T00:00:00Z'), days: 10 });
    // An expiry carrying its key whose activation is in the log (some began before it: only their end is).
    const keyOf = (r: (typeof t.records)[number]) =>
      r.additionalDetails.find((d) => d.key === 'RoleAssignmentRequestId')?.value;
    const activated = new Set(
      t.records.filter((r) => r.activityDisplayName === 'Add member to role completed (PIM activation)').map(keyOf),
    );
    const i = t.records.findIndex(
      (r) =>
        r.activityDisplayName === 'Remove member from role (PIM activation expired)' &&
        keyOf(r) !== undefined &&
        activated.has(keyOf(r)),
    );
    expect(i).toBeGreaterThanOrEqual(0);
    const expiry = { ...t.records[i], targetResources: t.records[i].targetResources.filter((x) => x.type !== 'User') };
    const key = expiry.additionalDetails.find((d) => d.key === 'RoleAssignmentRequestId')!.value.toLowerCase();
    const dir = join(tmp.dir, 'expiry');
    mkdirSync(dir, { recursive: true });
    const first = join(dir, 'a.ndjson');
    const second = join(dir, 'b.ndjson');
    writeFileSync(
      first,
      t.records
        .filter((_, j) => j !== i)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    writeFileSync(second, JSON.stringify(expiry) + '\n');

    const all = join(dir, 'all.duckdb');
    const inc = join(dir, 'inc.duckdb');
    const config = testConfig({}, join(dir, 'all'));
    const configInc = testConfig({}, join(dir, 'inc'));
    await importPaths(all, config, [first, second]);
    await importPaths(inc, configInc, [first]);
    const before = await withDb(inc, configInc, (db) =>
      db.one<{ end_reason: string }>('SELECT end_reason FROM pim_activations WHERE request_key = $k', { k: key }),
    );
    expect(before?.end_reason).toBe('open');
    await importPaths(inc, configInc, [second]);
    for (const table of DERIVED) {
      const d = await difference(all, inc, table);
      expect(d, table).toEqual({ onlyA: 0, onlyB: 0, rows: d.rows });
    }
    const after = await withDb(inc, configInc, (db) =>
      db.one<{ end_reason: string }>('SELECT end_reason FROM pim_activations WHERE request_key = $k', { k: key }),
    );
    expect(after?.end_reason).toBe('expired');
  });
});
