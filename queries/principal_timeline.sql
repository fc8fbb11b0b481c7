-- id: principal_timeline
-- title: Principal timeline
-- description: Every audit record a user (or service principal) initiated or was the subject of,
--   in a window, in time order, with the activation window each record fell in (if any).
-- parameters:
--   principal VARCHAR: UPN or object id
--   from TIMESTAMPTZ: window start (inclusive)
--   to TIMESTAMPTZ: window end (exclusive)
-- columns:
--   event_time, role: 'actor' (they did it) or 'subject' (it was done to them)
--   activity, service, result, target_role, other_party: who did it to them, or who it was done to
--   during_activation: the role they held active at that moment (request key in activation_key)
--   event_id: for pimops sql / request_trace
--   via_group: the role-assignable group that carried the activation they held (or the record names)
WITH who AS (SELECT lower($principal) AS p),
ev AS (
  SELECT a.*, CASE WHEN a.actor_id = who.p OR a.actor_upn = who.p THEN 'actor' ELSE 'subject' END AS role_in_event
  FROM audit_events a, who
  WHERE (a.actor_id = who.p OR a.actor_upn = who.p OR a.principal_id = who.p OR a.principal_upn = who.p)
    AND a.event_time >= $from::TIMESTAMPTZ AND a.event_time < $to::TIMESTAMPTZ
),
acts AS (
  SELECT x.* FROM pim_activations x, who WHERE x.principal_id = who.p OR x.principal_upn = who.p
)
SELECT ev.event_time, ev.role_in_event AS role, ev.activity, ev.service, ev.result, ev.role_name AS target_role,
       CASE ev.role_in_event WHEN 'actor' THEN coalesce(ev.principal_upn, ev.principal_name, ev.principal_id)
            ELSE coalesce(ev.actor_upn, ev.actor_name, ev.actor_id) END AS other_party,
       string_agg(DISTINCT acts.role_name, ', ' ORDER BY acts.role_name) AS during_activation,
       string_agg(DISTINCT acts.request_key, ', ' ORDER BY acts.request_key) AS activation_key,
       ev.event_id,
       coalesce(any_value(coalesce(ev.via_group_name, ev.via_group_id)),
                string_agg(DISTINCT coalesce(acts.via_group_name, acts.via_group_id), ', ')) AS via_group
FROM ev LEFT JOIN acts
  ON ev.event_time >= acts.started_at AND ev.event_time < coalesce(acts.ended_at, acts.scheduled_end, 'infinity'::TIMESTAMPTZ)
GROUP BY ALL
ORDER BY ev.event_time, ev.event_id;
