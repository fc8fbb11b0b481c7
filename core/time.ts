// Periods and times as users type them. Everything is UTC; anything that is not one exact instant is
// refused rather than guessed: `new Date('2026-02-30')` is March 2, `new Date('1')` is 2001, and a
// time without a zone is local time on whatever machine runs the job.
import { PimopsError } from './errors.js';

/** Half-open [from, to) in UTC; asOf is when open activations are cut and standing access is read. */
export interface Period {
  from: Date;
  to: Date;
  asOf: Date;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/i;

function validCalendarDay(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

function refuse(flag: string, value: string, why: string): never {
  throw new PimopsError('usage', `${flag} ${why}, got '${value}'`);
}

/** YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with a zone (Z or ±hh:mm). */
export function parseTime(value: string, flag: string): Date {
  const v = value.trim();
  const shape = 'must be a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 time with a zone (2026-10-01T08:00:00Z)';
  let m = DATE.exec(v);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!validCalendarDay(y, mo, d)) refuse(flag, value, 'is not a calendar date');
    return new Date(Date.UTC(y, mo - 1, d));
  }
  m = DATE_TIME.exec(v);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/i.test(v)) refuse(flag, value, 'needs a zone (Z for UTC, or ±hh:mm)');
    refuse(flag, value, shape);
  }
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  if (!validCalendarDay(y, mo, d)) refuse(flag, value, 'is not a calendar date');
  if (h > 23 || mi > 59 || s > 59) refuse(flag, value, 'is not a time of day');
  const zone = m[8].toUpperCase();
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.slice(4, 6)) > 59))
    refuse(flag, value, 'has no such zone offset');
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) refuse(flag, value, shape);
  return t;
}

/** A calendar month, YYYY-MM (months 01–12). */
export function parseMonth(value: string, flag: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(\d{2})$/.exec(value.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) refuse(flag, value, 'takes a month as YYYY-MM (01–12)');
  const [y, mo] = [Number(m[1]), Number(m[2])];
  return { from: new Date(Date.UTC(y, mo - 1, 1)), to: new Date(Date.UTC(y, mo, 1)) };
}

/** A calendar quarter, YYYYQn (n 1–4): Q1 is January to March, UTC. */
export function parseQuarter(value: string, flag: string): { from: Date; to: Date; label: string } {
  const m = /^(\d{4})Q([1-4])$/.exec(value.trim());
  if (!m) refuse(flag, value, 'takes a quarter as YYYYQn (Q1–Q4, e.g. 2026Q4)');
  const [y, q] = [Number(m[1]), Number(m[2])];
  return { from: new Date(Date.UTC(y, 3 * (q - 1), 1)), to: new Date(Date.UTC(y, 3 * q, 1)), label: `${y}Q${q}` };
}

/** The last full calendar month before `now`, in UTC. */
export function lastFullMonth(now: Date): { from: Date; to: Date } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return { from, to };
}

/** By default the last full calendar month; asOf defaults to the period end, or now if that is earlier. */
export function resolvePeriod(
  opts: { from?: string; to?: string; asOf?: string; period?: string },
  now = new Date(),
): Period {
  if (opts.period && (opts.from || opts.to)) throw new PimopsError('usage', 'Give --period, or --from/--to, not both');
  const month = opts.period ? parseMonth(opts.period, '--period') : undefined;
  const fallback = lastFullMonth(now);
  const from = month?.from ?? (opts.from ? parseTime(opts.from, '--from') : fallback.from);
  const to = month?.to ?? (opts.to ? parseTime(opts.to, '--to') : fallback.to);
  if (to <= from)
    throw new PimopsError('usage', `--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);
  const asOf = opts.asOf ? parseTime(opts.asOf, '--as-of') : new Date(Math.min(to.getTime(), now.getTime()));
  return { from, to, asOf };
}

const AGE_MS = { y: 365 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** `30d`, `12h`, `90m`, `2y`, a date or an ISO time. */
export function parseSince(value: string, now: Date, flag: string): Date {
  const m = /^(\d+)([ydhm])$/.exec(value.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * AGE_MS[m[2] as keyof typeof AGE_MS]);
  return parseTime(value, flag);
}
