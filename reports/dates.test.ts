import { describe, it, expect } from 'vitest';
import { humanPeriod } from './dates.js';

describe('periods in headings', () => {
  it.each([
    ['2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 'October 2026, UTC'],
    ['2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z', 'December 2026, UTC'],
    ['2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', 'February 2026, UTC'],
    ['2026-10-01T00:00:00Z', '2026-10-15T00:00:00Z', '1 October 2026 to 14 October 2026, UTC'],
    ['2026-10-02T00:00:00Z', '2026-11-02T00:00:00Z', '2 October 2026 to 1 November 2026, UTC'],
    ['2026-10-05T00:00:00Z', '2026-10-06T00:00:00Z', '5 October 2026, UTC'],
    ['2026-10-05T06:30:00Z', '2026-10-06T00:00:00Z', '2026-10-05 06:30 to 2026-10-06 00:00 UTC'],
  ])('%s → %s: %s', (from, to, want) => {
    expect(humanPeriod(new Date(from), new Date(to))).toBe(want);
  });
});
