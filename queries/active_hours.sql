-- id: active_hours
-- title: Active hours per admin per month
-- description: The sum of each activation window clipped to each calendar month (UTC) and to the
--   period. A window ends at deactivation, expiry, the scheduled end, or the as-of time if still
--   open. An activation counts in `activations` for the month it started. An activation that began
--   before the data did (start_known = false) counts from the coverage start: the month's hours are
--   then a lower bound, and `lower_bound_activations` says how many such activations are behind it.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: the moment open windows are cut at
-- columns:
--   plane, principal_id, principal_upn
--   month: YYYY-MM (UTC)
--   activations: activations that started in that month and in the period
--   hours: active hours inside that month and the period
--   lower_bound_activations: activations with an unknown start that add hours to that month
--   hours_lower_bound: true when lower_bound_activations > 0 (the true hours are at least `hours`)
WITH w AS (
  SELECT plane, principal_id, principal_upn, started_at AS s, start_known,
         least(coalesce(ended_at, scheduled_end, $as_of::TIMESTAMPTZ), $as_of::TIMESTAMPTZ) AS e
  FROM pim_activations
  WHERE started_at < $as_of::TIMESTAMPTZ
),
pieces AS (
  SELECT w.*, m.month_start,
         greatest(w.s, m.month_start, $from::TIMESTAMPTZ) AS piece_start,
         least(w.e, m.month_start + INTERVAL 1 MONTH, $to::TIMESTAMPTZ) AS piece_end
  FROM w, LATERAL (SELECT unnest(generate_series(date_trunc('month', w.s), greatest(w.e, w.s), INTERVAL 1 MONTH)) AS month_start) m
)
SELECT plane, principal_id, any_value(principal_upn) AS principal_upn,
       strftime(month_start, '%Y-%m') AS month,
       count(*) FILTER (WHERE month_start = date_trunc('month', s) AND s >= $from::TIMESTAMPTZ AND s < $to::TIMESTAMPTZ) AS activations,
       sum(greatest((epoch_us(piece_end) - epoch_us(piece_start)) / 3.6e9, 0)) AS hours,
       count(*) FILTER (WHERE NOT start_known AND piece_end > piece_start) AS lower_bound_activations,
       count(*) FILTER (WHERE NOT start_known AND piece_end > piece_start) > 0 AS hours_lower_bound
FROM pieces
GROUP BY plane, principal_id, month
HAVING activations > 0 OR hours > 0
ORDER BY plane, principal_id, month;
