-- id: elevation_activity
-- title: Activity during an elevation
-- description: What the principal did while one activation was live: every other audit record
--   they initiated between its start and its end (or now, if open).
-- parameters:
--   request VARCHAR: the activation's request key
-- columns:
--   event_time, activity, service, result, target: what it was done to
--   minutes_into_activation
--   event_id
WITH act AS (SELECT * FROM pim_activations WHERE request_key = lower($request))
SELECT e.event_time, e.activity, e.service, e.result,
       coalesce(e.principal_upn, e.principal_name, e.role_name, e.principal_id) AS target,
       (epoch_us(e.event_time) - epoch_us(act.started_at)) / 6e7 AS minutes_into_activation,
       e.event_id
FROM audit_events e, act
WHERE (e.actor_id = act.principal_id OR (act.principal_upn IS NOT NULL AND e.actor_upn = act.principal_upn))
  AND e.event_time >= act.started_at AND e.event_time < coalesce(act.ended_at, act.scheduled_end, 'infinity'::TIMESTAMPTZ)
  AND e.event_id NOT IN (SELECT event_id FROM int_pim_events)
ORDER BY e.event_time;
