-- id: evidence_daily_coverage
-- title: Audit records per day over a period
-- description: Every UTC day in [from, to) with the audit records the store holds for it, PIM
--   lifecycle records among them, and the sources they came from. A day with none is a gap to
--   explain (no activity, or a pull that did not happen): the evidence pack lists them.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   day: the UTC date
--   audit_records, pim_records
--   sources: the landed shapes the day's records came from
WITH days AS (
  SELECT CAST(d AS DATE) AS day FROM range(date_trunc('day', timezone('UTC', $from::TIMESTAMPTZ)), timezone('UTC', $to::TIMESTAMPTZ), INTERVAL 1 DAY) t(d)
),
a AS (
  SELECT CAST(timezone('UTC', event_time) AS DATE) AS day, count(*) AS n, string_agg(DISTINCT source_shape, ', ' ORDER BY source_shape) AS sources
  FROM audit_events WHERE event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ GROUP BY 1
),
p AS (
  SELECT CAST(timezone('UTC', event_time) AS DATE) AS day, count(*) AS n
  FROM int_pim_events WHERE event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ GROUP BY 1
)
SELECT days.day, coalesce(a.n, 0) AS audit_records, coalesce(p.n, 0) AS pim_records, a.sources
FROM days LEFT JOIN a USING (day) LEFT JOIN p USING (day)
ORDER BY days.day;
