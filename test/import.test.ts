// Landing and staging: every shape by content, bad input quarantined with file, line and reason,
// nothing lost or counted twice on re-import, overlap or rebuild.
import { describe, it, expect, afterAll, vi } from 'vitest';
import { Db, type Params } from '../core/db.js';
import { writeFileSync, mkdirSync, copyFileSync, rmSync, readFileSync } from 'node:fs';
import { gzipSync, gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Rng } from '../fixtures/generator/prng.js';
import { pimRecord, noiseRecord, type AuditRecord } from '../fixtures/generator/records.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { importPaths, rebuildAll, withDb, landingStore, transformPending } from '../cli/pipeline.js';
import { fileSource } from '../ingest/files/index.js';
import { staging } from '../transform/stage.js';
import { parallelGzip } from '../ingest/files/io.js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { tempDir, testConfig } from './helpers.js';

const rng = new Rng(99);
const tenant = { id: '22222222-2222-4222-8222-222222222222', name: 'T' };
const admin = { id: 'a1000000-0000-4000-8000-000000000001', upn: 'a@t.example', name: 'A', type: 'User' as const };
function rec(i: number): AuditRecord {
  return i % 3 === 0
    ? noiseRecord(new Date(Date.UTC(2026, 9, 1, 0, i)), admin, rng)
    : pimRecord(
        {
          activity: 'Add member to role requested (PIM activation)',
          auditType: 'CreateRequestRoleActivation',
          at: new Date(Date.UTC(2026, 9, 1, 0, i)),
          plane: 'entra_role',
          role: ROLES.userAdmin,
          principal: admin,
          scope: { id: '/', name: 'D' },
          actor: admin,
          key: `key-${i}`,
          keyMode: 'detail',
          operationType: 'Update',
        },
        tenant,
        rng,
      );
}
const records = Array.from({ length: 12 }, (_, i) => rec(i + 1));
const envelope = (r: AuditRecord) => ({
  time: r.activityDateTime,
  tenantId: tenant.id,
  category: 'AuditLogs',
  operationName: r.activityDisplayName,
  Level: 4,
  properties: r,
});

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
function workspace() {
  const d = join(tmp.dir, `w${n++}`);
  mkdirSync(join(d, 'in'), { recursive: true });
  const config = testConfig({}, d);
  const db = join(d, 'p.duckdb');
  const write = (name: string, content: string | Buffer) => {
    const p = join(d, 'in', name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  const sql = (q: string) => withDb(db, config, (x) => x.all(q));
  return { d, db, config, write, sql, imp: (paths: string[]) => importPaths(db, config, paths) };
}
const ndjson = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('recognising shapes by content', () => {
  const shapes: [string, (rs: AuditRecord[]) => string | Buffer][] = [
    [
      'a Graph page with @odata.context and nextLink',
      (rs) =>
        JSON.stringify({
          '@odata.context': 'x',
          'value': rs,
          '@odata.nextLink': 'https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?$skiptoken=a',
        }),
    ],
    ['a Graph page without @odata keys, pretty-printed', (rs) => JSON.stringify({ value: rs }, null, 2)],
    ['a JSON array', (rs) => JSON.stringify(rs, null, 1)],
    ['NDJSON', (rs) => ndjson(rs)],
    ['gzip NDJSON', (rs) => gzipSync(ndjson(rs))],
    ['an Event Hub body {"records":[…]}', (rs) => JSON.stringify({ records: rs.map(envelope) })],
    [
      'Event Hub bodies one per line',
      (rs) => ndjson([{ records: rs.slice(0, 5).map(envelope) }, { records: rs.slice(5).map(envelope) }]),
    ],
    ['storage PT1H.json (JSON lines of envelopes), gzip', (rs) => gzipSync(ndjson(rs.map(envelope)))],
    ['CRLF line ends and a BOM', (rs) => '\ufeff' + rs.map((r) => JSON.stringify(r)).join('\r\n') + '\r\n'],
  ];
  it.each(shapes)('imports %s', async (_name, make) => {
    const w = workspace();
    const p = w.write('file.bin', make(records));
    const s = await w.imp([p]);
    expect(s).toEqual({ files: 1, records: 12, new: 12, duplicates: 0, quarantined: 0 });
    const rows = await w.sql(
      'SELECT count(*) AS n, count(DISTINCT landing_line) AS lines, min(event_time) AS first FROM audit_events',
    );
    expect(Number(rows[0].n)).toBe(12);
    expect(Number(rows[0].lines)).toBe(12);
    expect((rows[0].first as Date).toISOString()).toBe('2026-10-01T00:01:00.000Z');
  });

  it('reads a whole insights-logs-auditlogs tree recursively', async () => {
    const w = workspace();
    w.write(
      'insights-logs-auditlogs/resourceId=/TENANTS/X/y=2026/m=10/d=01/h=00/m=00/PT1H.json',
      ndjson(records.slice(0, 6).map(envelope)),
    );
    w.write(
      'insights-logs-auditlogs/resourceId=/TENANTS/X/y=2026/m=10/d=01/h=01/m=00/PT1H.json',
      ndjson(records.slice(6).map(envelope)),
    );
    expect(await w.imp([join(w.d, 'in')])).toEqual({ files: 2, records: 12, new: 12, duplicates: 0, quarantined: 0 });
    const t = await w.sql('SELECT DISTINCT tenant_id FROM audit_events');
    expect(t).toEqual([{ tenant_id: tenant.id }]);
  });
});

describe('bad input', () => {
  it('quarantines each bad line with its line number and reason, and keeps its neighbours', async () => {
    const w = workspace();
    const good = records.map((r) => JSON.stringify(r));
    const noId = { ...records[1], id: undefined };
    const noTime = { ...records[2], activityDateTime: undefined };
    const badTime = { ...records[4], activityDateTime: 'yesterday' };
    const lines = [
      good[0],
      '{"id": "truncated", "activityDisplayName": "Add member', // line 2: cut off
      good[3],
      '[1, 2, 3]', // line 4
      JSON.stringify(noId), // line 5
      '', // line 6: blank, not a record
      JSON.stringify(noTime), // line 7
      JSON.stringify(badTime), // line 8
      JSON.stringify({ id: 'sign-in-1', createdDateTime: '2026-10-01T00:00:00Z', userPrincipalName: 'x' }), // line 9
      JSON.stringify({ ...records[5], additionalDetails: 'None' }), // line 10: a field of the wrong type, still a record
      good[6],
    ];
    const p = w.write('mixed.ndjson', lines.join('\n') + '\n');
    const s = await w.imp([p]);
    expect(s).toEqual({ files: 1, records: 10, new: 4, duplicates: 0, quarantined: 6 });
    const q = await w.sql('SELECT line, reason, original_path, excerpt FROM quarantine ORDER BY line');
    expect(q.map((r) => [Number(r.line), r.reason])).toEqual([
      [2, 'malformed_json'],
      [4, 'not_an_object'],
      [5, 'missing_id'],
      [7, 'missing_time'],
      [8, 'bad_time'],
      [9, 'not_an_audit_record'],
    ]);
    expect(q.every((r) => r.original_path === p)).toBe(true);
    expect(String(q[0].excerpt)).toContain('truncated');
    const kept = await w.sql('SELECT event_id, landing_line FROM audit_events ORDER BY landing_line');
    expect(kept.map((r) => [r.event_id, Number(r.landing_line)])).toEqual([
      [records[0].id, 1],
      [records[3].id, 3],
      [records[5].id, 10],
      [records[6].id, 11],
    ]);
  });

  it('refuses whole files it cannot read, names them and goes on with the rest', async () => {
    const w = workspace();
    const empty = w.write('empty.json', '');
    const corrupt = w.write('corrupt.ndjson.gz', gzipSync(ndjson(records)).subarray(0, 40));
    const csv = w.write('notes.csv', 'a,b\n1,2\n');
    const object = w.write('config.json', JSON.stringify({ hello: 'world' }));
    const good = w.write('good.ndjson', ndjson(records));
    const s = await w.imp([empty, corrupt, csv, object, good]);
    expect(s).toEqual({ files: 5, records: 16, new: 12, duplicates: 0, quarantined: 4 });
    const q = await w.sql('SELECT original_path, line, reason FROM quarantine ORDER BY original_path');
    expect(
      q.map((r) => [String(r.original_path).split('/').pop(), r.line === null ? null : Number(r.line), r.reason]),
    ).toEqual([
      // A JSON object is read as a one-line NDJSON file: its one line is not an audit record.
      ['config.json', 1, 'not_an_audit_record'],
      ['corrupt.ndjson.gz', null, 'corrupt_gzip'],
      ['empty.json', null, 'empty'],
      ['notes.csv', null, 'unrecognized'],
    ]);
  });

  it('imports every public sample without a crash', async () => {
    const w = workspace();
    const s = await w.imp([join(process.cwd(), 'fixtures', 'public')]);
    // Five samples and their README (refused: not JSON).
    expect(s.files).toBe(6);
    // Panther's two PIM records share one placeholder id: the first is kept, the second is a duplicate.
    expect(s).toMatchObject({ records: 9, new: 3, duplicates: 1, quarantined: 5 });
    const rows = await w.sql(
      `SELECT activity, service, role_id, result, actor_name, event_time FROM audit_events ORDER BY activity`,
    );
    const dd = rows.find((r) => r.activity === 'Add member to role');
    expect(dd?.service).toBe('Core Directory');
    expect(dd?.role_id).toMatch(/^[0-9a-f-]{36}$/);
    const ms = rows.find((r) => r.actor_name === 'MS-PIM');
    expect(ms?.result).toBe('success'); // `result: 0` in the 2018 sample
    const q = await w.sql('SELECT reason, count(*) AS n FROM quarantine GROUP BY reason ORDER BY reason');
    // The Azure Activity Log PIM events are not Entra audit records; the Sentinel hunting export has
    // no time column; the README is not data.
    expect(q.map((r) => [r.reason, Number(r.n)])).toEqual([
      ['missing_time', 1],
      ['not_an_audit_record', 3],
      ['unrecognized', 1],
    ]);
    const otel = await w.sql(`SELECT excerpt FROM quarantine WHERE reason = 'not_an_audit_record' AND line = 1`);
    expect(String(otel[0].excerpt)).toContain('Remove member from role (PIM activation expired)');
  });
});

describe('landing', () => {
  it('compresses a plain file as gzip members made at once, which read back as its bytes in order', async () => {
    const input = Buffer.from(ndjson(records).repeat(40)); // ~50 KB: dozens of 1 KB members, three in flight
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([input.subarray(0, 7000), input.subarray(7000)]),
      parallelGzip(1, 1000, 3),
      async (src) => {
        for await (const c of src) out.push(c as Buffer);
      },
    );
    const gz = Buffer.concat(out);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(gz).equals(input)).toBe(true);
    const empty: Buffer[] = [];
    await pipeline(Readable.from([]), parallelGzip(1), async (src) => {
      for await (const c of src) empty.push(c as Buffer);
    });
    expect(gunzipSync(Buffer.concat(empty)).length).toBe(0);
  });
});

describe('idempotence', () => {
  it('changes nothing when the same file is imported again, or overlapping files arrive', async () => {
    const w = workspace();
    const a = w.write('a.ndjson', ndjson(records.slice(0, 8)));
    const b = w.write('b.json', JSON.stringify({ value: records.slice(5) })); // overlaps a by 3
    expect(await w.imp([a])).toEqual({ files: 1, records: 8, new: 8, duplicates: 0, quarantined: 0 });
    expect(await w.imp([a])).toEqual({ files: 1, records: 8, new: 0, duplicates: 8, quarantined: 0 });
    expect(await w.imp([b, a])).toEqual({ files: 2, records: 15, new: 4, duplicates: 11, quarantined: 0 });
    const rows = await w.sql('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM audit_events');
    expect([Number(rows[0].n), Number(rows[0].d)]).toEqual([12, 12]);
    const files = await w.sql('SELECT count(*) AS n FROM landing_files');
    expect(Number(files[0].n)).toBe(2);
  });

  it('stops at a landed file it cannot read, after committing the files before it and none after', async () => {
    // Two files are read at once; the one that fails must not leave the other waiting for its turn.
    const w = workspace();
    const paths = [0, 1, 2].map((k) => w.write(`p${k}.ndjson`, ndjson(records.slice(4 * k, 4 * k + 4))));
    const store = landingStore(w.db, w.config);
    const landed = (await fileSource.land(store, { paths })).landed;
    rmSync(store.absolute(landed[1]));
    await expect(transformPending(w.db, w.config)).rejects.toThrow(landed[1].landedFile.split('/').pop()!);
    const rows = await w.sql('SELECT landing_file, count(*) AS n FROM audit_events GROUP BY 1');
    expect(rows.map((r) => [r.landing_file, Number(r.n)])).toEqual([[landed[0].landedFile, 4]]);
  });

  it('keeps the copy first in manifest order when two copies of an id differ, and a rebuild agrees', async () => {
    const w = workspace();
    const first = { ...records[1], resultReason: 'first copy' };
    const second = { ...records[1], resultReason: 'second copy' };
    const p1 = w.write('one.ndjson', ndjson([first, records[2]]));
    const p2 = w.write('two.ndjson', ndjson([second, records[4]]));
    await w.imp([p1]);
    const secondImport = await w.imp([p2]);
    // The differing copy is reported, not silently dropped; the identical-by-id copy from another shape is not a conflict.
    expect(secondImport.conflicts).toBe(1);
    const conflicts = await w.sql('SELECT event_id, differs, other_line FROM id_conflicts');
    expect(conflicts).toEqual([{ event_id: records[1].id, differs: 'result_reason', other_line: 1n }]);
    const check = async () =>
      (await w.sql(`SELECT result_reason FROM audit_events WHERE event_id = '${records[1].id}'`))[0].result_reason;
    expect(await check()).toBe('first copy');
    const checksum = async () =>
      (
        await w.sql(`SELECT
        (SELECT bit_xor(hash(event_id, event_time, activity, result_reason, request_key, landing_file, landing_line)) FROM audit_events) AS a,
        (SELECT bit_xor(hash(request_key, decision, requested_at, activated_at)) FROM pim_requests) AS r,
        (SELECT count(*) FROM quarantine) AS q`)
      )[0];
    const before = await checksum();
    await rebuildAll(w.db, w.config);
    expect(await check()).toBe('first copy');
    expect(await checksum()).toEqual(before);
  });

  it('commits the batches before a failing one, also when the later batch fails first', async () => {
    // Two batches run at once: the second failing while the first is still reading must leave the
    // first to commit, as one by one would (the files before a failure are staged).
    const w = workspace();
    await w.imp([w.write('first.ndjson', ndjson([records[0]]))]);
    const files = [ndjson(records.slice(1, 3)), ndjson(records.slice(3, 5)), ndjson(records.slice(5, 7))].map((c, i) =>
      w.write(`f${i}.ndjson`, c),
    );
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own `this` below
    const realRun = Db.prototype.run;
    const spy = vi.spyOn(Db.prototype, 'run').mockImplementation(async function (this: Db, q: string, params?: Params) {
      // The first batch (seq 2) reads slowly; the second (seq 3) fails as it registers its file.
      if (q.includes('INSERT INTO landing_files') && params?.seq === 3) throw new Error('the disk went away');
      if (q.includes('INSERT INTO audit_events') && q.includes('WHERE reject_reason IS NULL') && !q.includes('$'))
        await new Promise((r) => setTimeout(r, 400));
      return realRun.call(this, q, params);
    });
    Object.assign(staging, { batchRecords: 2 });
    try {
      await expect(w.imp(files)).rejects.toThrow('the disk went away');
    } finally {
      spy.mockRestore();
      Object.assign(staging, { batchRecords: 500_000 });
    }
    expect(await w.sql('SELECT seq, transformed_at IS NOT NULL AS staged FROM landing_files ORDER BY seq')).toEqual([
      { seq: 1, staged: true },
      { seq: 2, staged: true },
    ]);
    expect(await w.sql('SELECT count(*)::INT AS n FROM audit_events')).toEqual([{ n: 3 }]);
    // The run after stages the rest.
    expect(await w.imp(files)).toMatchObject({ new: 4 });
  });

  it('stages files landed together exactly as one by one: lines, first copies, conflicts, tenants', async () => {
    // One import stages clean files in batches (one read, one insert); with batches off, each file
    // alone. Everything must agree, and every row must point at its own landed line.
    const t2 = 'b0000000-0000-4000-8000-00000000000b';
    const untenanted = (r: AuditRecord) => ({
      ...r,
      additionalDetails: r.additionalDetails.filter((d) => d.key !== 'tid'),
    });
    const inTenant = (r: AuditRecord, id: string) => ({
      ...r,
      id: `${r.id}-${id.slice(0, 4)}`,
      additionalDetails: [...r.additionalDetails.filter((d) => d.key !== 'tid'), { key: 'tid', value: id }],
    });
    const x = { ...records[1], resultReason: 'first copy' };
    const contents = [
      // no tenant yet: staged alone, its records stay unplaced until a later file names one
      ndjson([untenanted(records[0])]),
      // an id twice in one file (the first line wins) and once more, differing, in the next file
      ndjson([untenanted(records[2]), x, records[3], { ...x, resultReason: 'later line' }]),
      ndjson([{ ...x, resultReason: 'later file' }, untenanted(records[4]), records[5]]),
      // a second tenant: the files after it that name none cannot be placed (no_tenant)
      ndjson([inTenant(records[6], t2), untenanted(records[7])]),
      ndjson([untenanted(records[8]), records[9], records[1]]),
    ];
    const snapshot = async (w: ReturnType<typeof workspace>) => ({
      events: await w.sql(
        `SELECT a.event_id, a.tenant_id, a.result_reason, f.seq, a.landing_line FROM audit_events a
         JOIN landing_files f ON f.landed_file = a.landing_file ORDER BY ALL`,
      ),
      conflicts: await w.sql(
        `SELECT event_id, k.seq AS kept, kept_line, o.seq AS other, other_line, differs, c.tenant_id FROM id_conflicts c
         JOIN landing_files k ON k.landed_file = kept_file JOIN landing_files o ON o.landed_file = other_file ORDER BY ALL`,
      ),
      quarantine: await w.sql(
        `SELECT f.seq, line, reason FROM quarantine q JOIN landing_files f ON f.landed_file = q.landing_file ORDER BY ALL`,
      ),
      files: await w.sql(
        'SELECT seq, records, new_records, duplicates, quarantined, tenant_id FROM landing_files ORDER BY seq',
      ),
    });
    /** The same files staged one by one, in batches, and in batches of at most two records (many,
     *  two at once: each must see the keys of those committed after it began), after `first`. */
    const both = async (files: string[], first?: string) => {
      const run = async (batches: boolean, batchRecords: number) => {
        const w = workspace();
        if (first) await w.imp([w.write('first.ndjson', first)]);
        Object.assign(staging, { batches, batchRecords });
        try {
          return { w, summary: await w.imp(files.map((c, i) => w.write(`f${i}.ndjson`, c))) };
        } finally {
          Object.assign(staging, { batches: true, batchRecords: 500_000 });
        }
      };
      const oneByOne = await snapshot((await run(false, 500_000)).w);
      const small = await run(true, 2);
      expect(await snapshot(small.w)).toEqual(oneByOne);
      const batched = await run(true, 500_000);
      expect(await snapshot(batched.w)).toEqual(oneByOne);
      return batched;
    };
    const { w: together, summary } = await both(contents);
    expect(summary).toMatchObject({ files: 5, records: 13, new: 9, duplicates: 3, quarantined: 1 });
    // A store of one tenant, then a batch naming a second before a file naming none: the guess that
    // file's records were inserted with (the one tenant) is wrong, so the batch is staged one by one.
    const second = await both(
      [ndjson([inTenant(records[10], t2)]), ndjson([untenanted(records[11])])],
      ndjson([records[9]]),
    );
    expect(await second.w.sql(`SELECT reason FROM quarantine`)).toEqual([{ reason: 'no_tenant' }]);
    const got = await snapshot(together);
    expect(got.conflicts.map((c) => [c.kept, c.kept_line, c.other, c.other_line, c.differs])).toEqual([
      [2, 2n, 2, 4n, 'result_reason'],
      [2, 2n, 3, 1n, 'result_reason'],
      [2, 2n, 5, 3n, 'result_reason'],
    ]);
    expect(got.quarantine).toEqual([{ seq: 5, line: 1n, reason: 'no_tenant' }]);
    // The records of file 4 that name no tenant took the one its predecessors named (as one by one).
    expect(got.events.filter((e) => e.event_id === records[4].id).map((e) => e.tenant_id)).toEqual([tenant.id]);
    // Lineage: each stored row is its landed file's line.
    const store = landingStore(together.db, together.config);
    const byFile = new Map(
      store.manifest().map((e) => [
        e.seq,
        gunzipSync(readFileSync(store.absolute(e)))
          .toString()
          .split('\n'),
      ]),
    );
    for (const e of got.events)
      expect(JSON.parse(byFile.get(Number(e.seq))![Number(e.landing_line) - 1]).id).toBe(e.event_id);
  });

  it('rebuilds every table from the landing store alone, identically', async () => {
    const w = workspace();
    copyFileSync(
      join(process.cwd(), 'fixtures', 'public', 'panther-entra-auditlogs-eventhub-pim-synthetic.json'),
      join(w.d, 'in', 'p.json'),
    );
    w.write('x.ndjson', ndjson(records) + 'garbage\n');
    await w.imp([join(w.d, 'in')]);
    // Every column but the wall-clock ones (ingested_at, quarantined_at, landed/transformed_at).
    const tables: Record<string, string> = {
      audit_events: 'SELECT * EXCLUDE (ingested_at) FROM audit_events',
      int_pim_events: 'SELECT * FROM int_pim_events',
      pim_requests: 'SELECT * FROM pim_requests',
      pim_activations: 'SELECT * FROM pim_activations',
      pim_approvals: 'SELECT * FROM pim_approvals',
      role_assignments: 'SELECT * FROM role_assignments',
      quarantine: 'SELECT * EXCLUDE (quarantined_at) FROM quarantine',
      landing_files: 'SELECT * EXCLUDE (landed_at, transformed_at) FROM landing_files',
    };
    const snapshot = () =>
      withDb(w.db, w.config, async (db) => {
        const out: Record<string, unknown> = {};
        for (const [t, q] of Object.entries(tables))
          out[t] = (await db.all(`SELECT count(*) AS n, bit_xor(hash(x)) AS h FROM (${q}) x`))[0];
        return out;
      });
    const before = await snapshot();
    // Panther's two records share one id; the typed read refuses the garbage line and the line path names it.
    expect(Number((before.audit_events as { n: bigint }).n)).toBe(13);
    const q = await w.sql('SELECT line, reason, excerpt FROM quarantine');
    expect(q.map((r) => [Number(r.line), r.reason, r.excerpt])).toEqual([[13, 'malformed_json', 'garbage']]);
    await rebuildAll(w.db, w.config);
    expect(await snapshot()).toEqual(before);
  });
});

import { pruneLanding } from '../cli/pipeline.js';
import { existsSync } from 'node:fs';

describe('retention', () => {
  it('prunes landed files past storage.retainLandingDays, keeps their records, and says a rebuild can no longer reproduce them', async () => {
    const w = workspace();
    const config = { ...w.config, storage: { ...w.config.storage, retainLandingDays: 30 } };
    const p = w.write('old.ndjson', ndjson(records.slice(0, 6)));
    await importPaths(w.db, config, [p]);
    const nothing = await pruneLanding(w.db, config);
    expect(nothing.files).toBe(0); // landed today: kept
    const later = new Date(Date.now() + 31 * 86_400_000);
    const r = await pruneLanding(w.db, config, later);
    expect(r).toMatchObject({ files: 1, records: 6, from: '2026-10-01T00:01:00.000Z', to: '2026-10-01T00:06:00.000Z' });
    const landed = await w.sql('SELECT landed_file FROM landing_files');
    expect(existsSync(join(w.d, 'landing', String(landed[0].landed_file)))).toBe(false);
    expect(Number((await w.sql('SELECT count(*) AS n FROM audit_events'))[0].n)).toBe(6);
    const rebuilt = await rebuildAll(w.db, config);
    expect(rebuilt.prunedFiles).toBe(1);
    expect(Number((await w.sql('SELECT count(*) AS n FROM audit_events'))[0].n)).toBe(0);
  });
});
