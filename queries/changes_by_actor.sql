-- id: changes_by_actor
-- title: Changes by actor
-- description: What each actor changed in a window, by activity: who is busy with privileged changes.
-- parameters:
--   from TIMESTAMPTZ: window start (inclusive)
--   to TIMESTAMPTZ: window end (exclusive)
-- columns:
--   actor: UPN, app name or id
--   actor_type: user, app or system
--   activity, service
--   records: how many
--   first_at, last_at
SELECT coalesce(actor_upn, actor_name, actor_id) AS actor, actor_type, activity, service,
       count(*) AS records, min(event_time) AS first_at, max(event_time) AS last_at
FROM audit_events
WHERE event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ
GROUP BY ALL
ORDER BY records DESC, actor, activity;
