-- id: sentinel_activations
-- title: Activations as the PIMActivations_CL custom table carries them
-- description: One row per activation window (the activation request's key): when it started, its
--   scheduled end, and how and when it ended. Open windows have no end; the workbook clips them at
--   its own now, as active_hours clips at the as-of time.
-- columns:
--   request_key, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id
--   activated_at, started_at, scheduled_end, ended_at, end_reason
--   active_seconds: ended_at − started_at; NULL while open
--   actor_ip, user_agent: the requester's address and client, from the activation request's record
--   via_group_id, via_group_name: the role-assignable group the role came through
--   start_known: false when the activation began before the data (started_at is then the coverage start)
WITH src AS (
  SELECT request_key, arg_min(actor_ip, event_time) AS actor_ip, arg_min(user_agent, event_time) AS user_agent
  FROM int_pim_events WHERE step LIKE '%requested' AND actor_ip IS NOT NULL GROUP BY request_key
)
SELECT request_key, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
       activated_at, started_at, scheduled_end, ended_at, end_reason,
       CASE WHEN ended_at IS NOT NULL THEN (epoch_us(ended_at) - epoch_us(started_at)) / 1e6 END AS active_seconds,
       src.actor_ip, src.user_agent, via_group_id, via_group_name, start_known
FROM pim_activations LEFT JOIN src USING (request_key)
WHERE started_at IS NOT NULL
ORDER BY request_key;
