-- pim_activations: one row per activation window. An end is matched to its activation by request
-- key when the end record carries the activation's key (expiry does), else by time: the latest
-- activation of the same (plane, principal, role, scope) that started at or before it (PIM does
-- not allow two overlapping activations of one role). The first end wins.
WITH act AS (
  SELECT request_key, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
         event_time AS activated_at, coalesce(start_time, event_time) AS started_at, expiration_time AS scheduled_end
  FROM int_pim_events WHERE step = 'activated'
  QUALIFY row_number() OVER (PARTITION BY request_key ORDER BY event_time, event_id) = 1
),
ends AS (
  SELECT event_id, event_time, step, request_key, plane, principal_id, role_id, scope_id
  FROM int_pim_events WHERE step IN ('deactivated', 'expired')
),
by_key AS (
  SELECT e.event_id, e.event_time, e.step, a.request_key AS activation_key
  FROM ends e JOIN act a ON a.request_key = e.request_key AND e.event_time >= a.started_at
),
by_time AS (
  SELECT e.event_id, e.event_time, e.step, a.request_key AS activation_key
  FROM (SELECT * FROM ends ANTI JOIN by_key USING (event_id)) e
  ASOF JOIN act a
    ON e.plane = a.plane AND e.principal_id = a.principal_id AND e.role_id = a.role_id AND e.scope_id = a.scope_id
   AND e.event_time >= a.started_at
),
first_end AS (
  SELECT activation_key, min(event_time) AS ended_at, arg_min(step, event_time) AS end_step
  FROM (SELECT * FROM by_key UNION ALL SELECT * FROM by_time)
  GROUP BY activation_key
)
SELECT a.request_key, a.plane, a.principal_id, a.principal_upn, a.principal_type, a.role_id, a.role_name, a.scope_id,
       a.activated_at, a.started_at, a.scheduled_end,
       -- PIM logs an expiry seconds after access really ended: the scheduled end is the true end when stated.
       CASE WHEN f.end_step = 'expired' AND a.scheduled_end IS NOT NULL THEN least(f.ended_at, a.scheduled_end) ELSE f.ended_at END AS ended_at,
       coalesce(f.end_step, 'open') AS end_reason
FROM act a LEFT JOIN first_end f ON f.activation_key = a.request_key
