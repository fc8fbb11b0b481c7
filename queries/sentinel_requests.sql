-- id: sentinel_requests
-- title: Requests as the PIMRequests_CL custom table carries them
-- description: One row per PIM request key with the route and the time to activate computed by the
--   same definitions as time_to_activate (route 'approval' when the request had any approval event
--   or PIM marked it as requiring approval), so a Sentinel workbook over PIMRequests_CL and
--   pimops metrics agree. The row's event time is the request time, else its completion.
-- columns:
--   request_key, request_type, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id
--   event_time: requested_at, else completed_at, else decided_at
--   requested_at, decided_at, activated_at, completed_at, ended_at
--   route: self or approval (activations); NULL for other request types
--   decision, approver_id, approver_upn, end_reason, justification, ticket_number, ticket_system, mfa, keyed, events
--   time_to_activate_seconds: activated_at − requested_at, for activations that took effect
--   requested_duration_seconds: the scheduled window, when stated
--   actor_ip, user_agent: the requester's address and client, from the request record (ipaddr, User-Agent)
WITH src AS (
  -- The request record's own address: the earliest request step of the key that holds one.
  SELECT request_key, arg_min(actor_ip, event_time) AS actor_ip, arg_min(user_agent, event_time) AS user_agent
  FROM int_pim_events WHERE step LIKE '%requested' AND actor_ip IS NOT NULL GROUP BY request_key
)
SELECT request_key, request_type, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
       coalesce(requested_at, completed_at, decided_at) AS event_time,
       requested_at, decided_at, activated_at, completed_at, ended_at,
       CASE WHEN request_type = 'activate' THEN CASE WHEN approval_required THEN 'approval' ELSE 'self' END END AS route,
       decision, approver_id, approver_upn, end_reason, justification, ticket_number, ticket_system, mfa, keyed, events,
       CASE WHEN request_type = 'activate' AND activated_at IS NOT NULL AND requested_at IS NOT NULL
            THEN (epoch_us(activated_at) - epoch_us(requested_at)) / 1e6 END AS time_to_activate_seconds,
       epoch(requested_duration) AS requested_duration_seconds,
       src.actor_ip, src.user_agent
FROM pim_requests LEFT JOIN src USING (request_key)
WHERE coalesce(requested_at, completed_at, decided_at) IS NOT NULL
ORDER BY request_key;
