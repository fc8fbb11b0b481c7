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
-- A member's activation of a group that held an Entra role when it began counts under entra_role
-- (group_carried_roles), once.
-- include: group_carried_roles
,
w AS (
  SELECT CASE WHEN a.plane = 'group' AND lower(a.role_id) <> 'owner' AND EXISTS (
              SELECT 1 FROM carried c WHERE c.group_id = a.scope_id AND coalesce(c.start_at <= a.started_at, true)
                AND (c.until IS NULL OR c.until > a.started_at)) THEN 'entra_role' ELSE a.plane END AS plane,
         principal_id, principal_upn, started_at AS s, start_known,
         least(coalesce(ended_at, scheduled_end, $as_of::TIMESTAMPTZ), $as_of::TIMESTAMPTZ) AS e
  FROM pim_activations a
  WHERE started_at < $as_of::TIMESTAMPTZ
    -- Only windows that reach into the period, or start in it, can add hours or activations: without
    -- this bound each month's run expanded every activation in history into its months.
    AND started_at < $to::TIMESTAMPTZ
    AND (started_at >= $from::TIMESTAMPTZ
         OR least(coalesce(ended_at, scheduled_end, $as_of::TIMESTAMPTZ), $as_of::TIMESTAMPTZ) > $from::TIMESTAMPTZ)
),
pieces AS (
  SELECT w.*, m.month_start,
         greatest(w.s, m.month_start, $from::TIMESTAMPTZ) AS piece_start,
         least(w.e, m.month_start + INTERVAL 1 MONTH, $to::TIMESTAMPTZ) AS piece_end
  -- Months outside the period add nothing, so the series covers only the window's part inside it.
  FROM w, LATERAL (SELECT unnest(generate_series(date_trunc('month', greatest(w.s, $from::TIMESTAMPTZ)),
                                                 greatest(least(w.e, $to::TIMESTAMPTZ), w.s, $from::TIMESTAMPTZ),
                                                 INTERVAL 1 MONTH)) AS month_start) m
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
