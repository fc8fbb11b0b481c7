// Periods as people say them in headings: "October 2026, UTC" for a calendar month, "1 October 2026 to
// 14 October 2026, UTC" otherwise (the end shown is the last day inside the half-open period).
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const midnight = (d: Date) =>
  d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0;
const day = (d: Date) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;

export function humanPeriod(from: Date, to: Date): string {
  const nextMonth = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  if (midnight(from) && from.getUTCDate() === 1 && to.getTime() === nextMonth.getTime())
    return `${MONTHS[from.getUTCMonth()]} ${from.getUTCFullYear()}, UTC`;
  if (midnight(from) && midnight(to)) {
    const last = new Date(to.getTime() - 86_400_000);
    return last.getTime() === from.getTime() ? `${day(from)}, UTC` : `${day(from)} to ${day(last)}, UTC`;
  }
  return `${from.toISOString().slice(0, 16).replace('T', ' ')} to ${to.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
