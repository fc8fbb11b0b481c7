-- id: time_to_first_action
-- title: Time from grant to first action with the role
-- description: For each Entra-role activation that started in the period, the time from the grant to the
--   first audit record the admin initiated while it was live (PIM's own records left out). It bounds from
--   above the "activated but it does not work yet" delay people report: the admin acted at the latest then
--   (they may have waited for other reasons). Activations with no such record are counted apart.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   activations: activations that started in the period (start known)
--   with_action: those with an audit record by the admin while live
--   p50_seconds, p90_seconds, max_seconds: grant to first action
WITH acts AS (
  SELECT request_key, principal_id, principal_upn, started_at, coalesce(ended_at, scheduled_end, 'infinity'::TIMESTAMPTZ) AS live_until
  FROM pim_activations
  WHERE plane = 'entra_role' AND start_known AND started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ
),
firsts AS (
  SELECT a.request_key, min(e.event_time) AS first_at, any_value(a.started_at) AS started_at
  FROM acts a
  LEFT JOIN audit_events e
    ON (e.actor_id = a.principal_id OR (a.principal_upn IS NOT NULL AND e.actor_upn = a.principal_upn))
   AND e.event_time >= a.started_at AND e.event_time < a.live_until
   AND e.event_id NOT IN (SELECT event_id FROM int_pim_events)
  GROUP BY a.request_key
)
SELECT count(*) AS activations, count(first_at) AS with_action,
       quantile_cont(epoch(first_at) - epoch(started_at), 0.5) AS p50_seconds,
       quantile_cont(epoch(first_at) - epoch(started_at), 0.9) AS p90_seconds,
       max(epoch(first_at) - epoch(started_at)) AS max_seconds
FROM firsts
