import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../core/db.js';
import { daysFilter } from './lake.js';

// The time range a COPY of day partitions reads must hold every row of those days (the exact key
// filter comes after it): a row it misses is a row the lake silently loses.
describe('daysFilter', () => {
  let db: Db;
  beforeAll(async () => {
    db = await Db.open(':memory:');
    await db.run(`CREATE TABLE t AS SELECT * FROM (VALUES
      (1, TIMESTAMPTZ '2024-01-01 00:00:00+00'),
      (2, TIMESTAMPTZ '2024-01-01 23:59:59.999999+00'),
      (3, TIMESTAMPTZ '2024-01-02 12:00:00+00'),
      (4, TIMESTAMPTZ '2024-01-03 23:59:59.999999+00'),
      (5, TIMESTAMPTZ '2024-01-04 00:00:00+00'),
      (6, TIMESTAMPTZ '2023-12-31 23:59:59.999999+00'),
      (7, NULL)) v(id, ts)`);
  });
  afterAll(() => db.close());

  const ids = async (days: string[]) =>
    (await db.all<{ id: number }>(`SELECT id FROM t WHERE ${daysFilter('ts', days)} ORDER BY id`)).map((r) => r.id);

  it.each([
    [['2024-01-01'], [1, 2]],
    [
      ['2024-01-03', '2024-01-01'],
      [1, 2, 3, 4],
    ],
    [['2024-01-04'], [5]],
    [['unknown'], [7]],
    [
      ['2024-01-02', 'unknown'],
      [3, 7],
    ],
    // Not a key the lake makes: no range to trust, so every row is read and the key filter decides.
    [
      ['2024-01-02', 'x'],
      [1, 2, 3, 4, 5, 6, 7],
    ],
  ])('days %j read rows %j', async (days, want) => {
    expect(await ids(days)).toEqual(want);
  });
});
