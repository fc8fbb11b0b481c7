import { describe, expect, it } from 'vitest';
import { Db, listValue } from './db.js';

describe('Db parameters', () => {
  it('binds lists as LIST values (empty, text, whole and fractional numbers) and Dates as TIMESTAMPTZ', async () => {
    const db = await Db.open(':memory:');
    try {
      const hostile = "x'); DROP TABLE t; --";
      const r = await db.one<Record<string, unknown>>(
        `SELECT typeof($names) AS names_type, len($names) AS n, list_contains($names, $hostile) AS has,
           len($none::VARCHAR[]) AS none, list_sum($nums) AS total, typeof($nums) AS nums_type, list_contains($days, 3) AS wed,
           typeof($at) AS at_type, $at AS at`,
        {
          names: listValue(['a', hostile]),
          hostile,
          none: listValue([]),
          nums: listValue([1, 2.5]),
          days: listValue([1, 3]),
          at: new Date('2026-03-01T12:34:56.789Z'),
        },
      );
      expect(r).toEqual({
        names_type: 'VARCHAR[]',
        n: 2n,
        has: true,
        none: 0n,
        total: 3.5,
        nums_type: 'DOUBLE[]',
        wed: true,
        at_type: 'TIMESTAMP WITH TIME ZONE',
        at: new Date('2026-03-01T12:34:56.789Z'),
      });
    } finally {
      db.close();
    }
  });

  it('appends rows through the appender: hostile text stays data, Dates become timestamps', async () => {
    const db = await Db.open(':memory:');
    try {
      await db.run('CREATE TEMP TABLE t (ts TIMESTAMPTZ, s VARCHAR, v DOUBLE)');
      const hostile = "x'), (NULL, 'injected', 0); --";
      await db.appendRows('t', [
        [new Date('2026-01-01T00:00:00Z'), hostile, 1.5],
        [null, null, 2],
      ]);
      expect(await db.all('SELECT * FROM t ORDER BY v')).toEqual([
        { ts: new Date('2026-01-01T00:00:00Z'), s: hostile, v: 1.5 },
        { ts: null, s: null, v: 2 },
      ]);
    } finally {
      db.close();
    }
  });
});
