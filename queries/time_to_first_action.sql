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
-- The period's records onward by the activating admins, PIM's own left out (event_time orders the store).
candidates AS (
  SELECT e.event_time, e.actor_id, e.actor_upn FROM audit_events e
  WHERE e.event_time >= $from::TIMESTAMPTZ
    AND (e.actor_id IN (SELECT principal_id FROM acts) OR e.actor_upn IN (SELECT principal_upn FROM acts))
    AND e.event_id NOT IN (SELECT event_id FROM int_pim_events WHERE event_time >= $from::TIMESTAMPTZ)
),
-- The admin's first record at or after the grant, matched by id and by UPN, each an ASOF join (one
-- sorted pass): an OR in a range join's condition cannot be hashed and compared every activation with
-- every record. The first action is the earlier of the two, if it came while the activation was live.
firsts AS (
  SELECT a.request_key, a.started_at,
         least(CASE WHEN i.event_time < a.live_until THEN i.event_time END,
               CASE WHEN u.event_time < a.live_until THEN u.event_time END) AS first_at
  FROM acts a
  ASOF LEFT JOIN candidates i ON i.actor_id = a.principal_id AND a.started_at <= i.event_time
  ASOF LEFT JOIN candidates u ON u.actor_upn = a.principal_upn AND a.started_at <= u.event_time
)
SELECT count(*) AS activations, count(first_at) AS with_action,
       quantile_cont(epoch(first_at) - epoch(started_at), 0.5) AS p50_seconds,
       quantile_cont(epoch(first_at) - epoch(started_at), 0.9) AS p90_seconds,
       max(epoch(first_at) - epoch(started_at)) AS max_seconds
FROM firsts
