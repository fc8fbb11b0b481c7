import { describe, expect, it } from 'vitest';
import { parseMonth, parseQuarter, parseSince, parseTime, resolvePeriod } from './time.js';
import { PimopsError } from './errors.js';

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof PimopsError && e.code === 'usage' ? e.message : `wrong error: ${String(e)}`;
  }
  return 'accepted';
};

describe('times as users type them', () => {
  it.each([
    ['2026-10-01', '2026-10-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2026-10-01T08:30:00Z', '2026-10-01T08:30:00.000Z'],
    ['2026-10-01T08:30Z', '2026-10-01T08:30:00.000Z'],
    ['2026-10-01T08:30:00.123456Z', '2026-10-01T08:30:00.123Z'],
    ['2026-10-01T10:30:00+02:00', '2026-10-01T08:30:00.000Z'],
  ])('%s is %s', (input, iso) => {
    expect(parseTime(input, '--from').toISOString()).toBe(iso);
  });

  it.each([
    ['2026-02-30', 'not a calendar date'], // new Date() makes it March 2
    ['2025-02-29', 'not a calendar date'],
    ['2026-04-31', 'not a calendar date'],
    ['2026-13-01', 'not a calendar date'],
    ['1', 'must be a date'], // new Date('1') is 2001
    ['2026', 'must be a date'],
    ['10/01/2026', 'must be a date'],
    ['2026-10-01T08:00:00', 'needs a zone'], // local time on whatever machine runs the job
    ['2026-10-01T24:00:00Z', 'not a time of day'],
    ['2026-10-01 08:00:00Z', 'must be a date'],
  ])('refuses %s (%s)', (input, why) => {
    expect(usage(() => parseTime(input, '--from'))).toContain(why);
  });

  it('months are 01 to 12', () => {
    expect(parseMonth('2026-10', '--period').from.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(parseMonth('2026-12', '--period').to.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(usage(() => parseMonth('2026-13', '--period'))).toContain('YYYY-MM (01–12)');
    expect(usage(() => parseMonth('2026-00', '--period'))).toContain('YYYY-MM (01–12)');
    expect(usage(() => parseMonth('2026-1', '--period'))).toContain('YYYY-MM');
  });

  it('a period defaults to the last full month, as-of to its end or now', () => {
    const now = new Date('2026-12-04T15:00:00Z');
    const p = resolvePeriod({}, now);
    expect([p.from, p.to, p.asOf].map((d) => d.toISOString())).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
    ]);
    const open = resolvePeriod({ period: '2026-12' }, now);
    expect(open.asOf.toISOString()).toBe(now.toISOString());
    expect(usage(() => resolvePeriod({ from: '2026-11-01', to: '2026-10-01' }, now))).toContain('must be after');
    expect(usage(() => resolvePeriod({ period: '2026-10', from: '2026-10-01' }, now))).toContain('not both');
  });

  it('ages count back from now', () => {
    const now = new Date('2026-12-04T00:00:00Z');
    expect(parseSince('30d', now, '--since').toISOString()).toBe('2026-11-04T00:00:00.000Z');
    expect(parseSince('12h', now, '--since').toISOString()).toBe('2026-12-03T12:00:00.000Z');
    expect(usage(() => parseSince('30x', now, '--since'))).toContain('must be a date');
  });
});

describe('quarters', () => {
  it.each([
    ['2026Q4', '2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026Q1', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    [' 2024Q3 ', '2024-07-01T00:00:00.000Z', '2024-10-01T00:00:00.000Z'],
  ])('%s is [%s, %s)', (input, from, to) => {
    const q = parseQuarter(input, '--quarter');
    expect([q.from.toISOString(), q.to.toISOString()]).toEqual([from, to]);
  });

  it.each(['2026Q0', '2026Q5', '2026q4', '2026-Q4', 'Q4 2026', '26Q4', '2026Q', '2026-10'])('refuses %s', (input) => {
    expect(usage(() => parseQuarter(input, '--quarter'))).toContain('takes a quarter as YYYYQn');
  });
});
