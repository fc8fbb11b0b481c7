// Property: whatever damage a file carries, the import does not crash, keeps every good record at
// its own line, quarantines every bad one with its line and the right reason, and the counts add up.
// 10,000 generated lines in 5 files (fast-check, fixed seed so a failure reproduces).
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { importPaths, withDb } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

type Line = {
  bytes: Buffer;
  expect: { kind: 'good'; id: string } | { kind: 'bad'; reason: string } | { kind: 'blank' };
};

const goodRecord = (id: string, time: string, extra: Record<string, unknown> = {}) => ({
  id,
  category: 'RoleManagement',
  correlationId: 'c',
  result: 'success',
  resultReason: '',
  activityDisplayName: 'Add member to role requested (PIM activation)',
  activityDateTime: time,
  loggedByService: 'PIM',
  operationType: 'Update',
  initiatedBy: { user: { id: 'u1', userPrincipalName: 'a@b.example' }, app: null },
  targetResources: [{ id: 'r1', type: 'Role', displayName: 'Global Administrator', modifiedProperties: [] }],
  additionalDetails: [{ key: 'RoleAssignmentRequestId', value: id }],
  ...extra,
});

const times = fc.constantFrom(
  '2026-10-01T10:00:00Z',
  '2026-10-01T10:00:00.1234567Z',
  '2026-10-01T10:00:00.1234567+00:00',
  '2026-10-01 10:00:00.123456000',
  '2026-10-01T12:00:00+02:00',
);
const deep = (n: number): unknown => (n === 0 ? 'leaf' : { d: deep(n - 1) });

/** One line of a file: a good record (possibly odd but valid) or a damaged one, with what the import must do with it. */
const line = (n: number): fc.Arbitrary<Line> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(times, fc.constantFrom('plain', 'unicode', 'deep', 'wide', 'unknown-activity', 'wrong-type-field'))
        .map(([time, variant]) => {
          const id = `good-${n}`;
          const extra: Record<string, unknown> =
            variant === 'unicode'
              ? { resultReason: 'Zürich – 東京 – 🚀' }
              : variant === 'deep'
                ? { extra: deep(60) }
                : variant === 'wide'
                  ? { extra: Array.from({ length: 3000 }, (_, i) => i) }
                  : variant === 'unknown-activity'
                    ? { activityDisplayName: 'Something PIM never wrote' }
                    : variant === 'wrong-type-field'
                      ? { additionalDetails: 'None' }
                      : {};
          return {
            bytes: Buffer.from(JSON.stringify(goodRecord(id, time, extra))),
            expect: { kind: 'good' as const, id },
          };
        }),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 5, max: 200 }).map((cut) => ({
        bytes: Buffer.from(JSON.stringify(goodRecord(`cut-${n}`, '2026-10-01T10:00:00Z')).slice(0, cut)),
        expect: { kind: 'bad' as const, reason: 'malformed_json' },
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('[1,2]', '42', '"text"', 'null', 'true')
        .map((s) => ({ bytes: Buffer.from(s), expect: { kind: 'bad' as const, reason: 'not_an_object' } })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(undefined, '', '   ').map((id) => ({
        bytes: Buffer.from(JSON.stringify({ ...goodRecord('x', '2026-10-01T10:00:00Z'), id })),
        expect: { kind: 'bad' as const, reason: 'missing_id' },
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(0).map(() => ({
        bytes: Buffer.from(JSON.stringify({ ...goodRecord(`nt-${n}`, 'x'), activityDateTime: undefined })),
        expect: { kind: 'bad' as const, reason: 'missing_time' },
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('yesterday', '2026-13-45T99:00:00Z', '01/10/2026').map((t) => ({
        bytes: Buffer.from(JSON.stringify(goodRecord(`bt-${n}`, t))),
        expect: { kind: 'bad' as const, reason: 'bad_time' },
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(0).map(() => ({
        bytes: Buffer.from(
          JSON.stringify({ id: `si-${n}`, createdDateTime: '2026-10-01T10:00:00Z', userPrincipalName: 'x' }),
        ),
        expect: { kind: 'bad' as const, reason: 'not_an_audit_record' },
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(0).map(() => {
        const b = Buffer.from(JSON.stringify(goodRecord(`u8-${n}`, '2026-10-01T10:00:00Z', { resultReason: 'QQ' })));
        const i = b.indexOf('QQ');
        b[i] = 0xff;
        b[i + 1] = 0xfe;
        return { bytes: b, expect: { kind: 'bad' as const, reason: 'invalid_encoding' } };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('', '   ', '\t')
        .map((s) => ({ bytes: Buffer.from(s), expect: { kind: 'blank' as const } })),
    },
  );

const tmp = tempDir('pimops-prop-');
afterAll(() => tmp.cleanup());

describe('bad input (property)', () => {
  it('never crashes, keeps every good record at its line, quarantines every bad one with its reason', async () => {
    const FILES = 5;
    const LINES = 2000;
    const files = fc.sample(fc.tuple(...Array.from({ length: LINES }, (_, i) => line(i))), {
      numRuns: FILES,
      seed: 20261201,
    });
    mkdirSync(join(tmp.dir, 'in'), { recursive: true });
    const expected: { file: string; line: number; expect: Line['expect'] }[] = [];
    files.forEach((lines, f) => {
      const name = `f${f}.ndjson${f % 2 ? '.gz' : ''}`;
      // Unique ids per file, so a good record is new exactly once; every other file uses CRLF.
      const fixed = lines.map((l) =>
        l.expect.kind === 'good'
          ? {
              bytes: Buffer.from(
                l.bytes.toString().replace(`"good-`, `"good-f${f}-`).replace(`"value":"good-`, `"value":"good-f${f}-`),
              ),
              expect: { kind: 'good' as const, id: l.expect.id.replace('good-', `good-f${f}-`) },
            }
          : l,
      );
      const eol = Buffer.from(f % 2 ? '\r\n' : '\n');
      const body = Buffer.concat(fixed.flatMap((l) => [l.bytes, eol]));
      writeFileSync(join(tmp.dir, 'in', name), f % 2 ? gzipSync(body) : body);
      fixed.forEach((l, i) => expected.push({ file: name, line: i + 1, expect: l.expect }));
    });
    const config = testConfig({}, tmp.dir);
    const db = join(tmp.dir, 'p.duckdb');
    const summary = await importPaths(db, config, [join(tmp.dir, 'in')]);
    const good = expected.filter((e) => e.expect.kind === 'good');
    const bad = expected.filter((e) => e.expect.kind === 'bad');
    expect(summary).toEqual({
      files: FILES,
      records: good.length + bad.length,
      new: good.length,
      duplicates: 0,
      quarantined: bad.length,
    });

    const stored = await withDb(db, config, (x) =>
      x.all<{ f: string; line: bigint; event_id: string }>(
        `SELECT regexp_extract(l.original_path, '[^/]+$') AS f, a.landing_line AS line, a.event_id FROM audit_events a JOIN landing_files l ON l.landed_file = a.landing_file`,
      ),
    );
    const got = new Map(stored.map((r) => [`${r.f}:${r.line}`, r.event_id]));
    for (const g of good)
      expect(got.get(`${g.file}:${g.line}`), `${g.file}:${g.line}`).toBe((g.expect as { id: string }).id);
    const quarantined = await withDb(db, config, (x) =>
      x.all<{ f: string; line: bigint; reason: string }>(
        `SELECT regexp_extract(original_path, '[^/]+$') AS f, line, reason FROM quarantine`,
      ),
    );
    const q = new Map(quarantined.map((r) => [`${r.f}:${r.line}`, r.reason]));
    for (const b of bad)
      expect(q.get(`${b.file}:${b.line}`), `${b.file}:${b.line}`).toBe((b.expect as { reason: string }).reason);
    expect(quarantined.length).toBe(bad.length);
  });
});
