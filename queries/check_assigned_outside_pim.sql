-- id: check_assigned_outside_pim
-- title: Role assigned outside PIM
-- description: PIM's "roles are being assigned outside of PIM" alert, from the logs: a role given
--   directly (or reported by PIM as outside PIM) in the period.
-- severity: high
-- doc: docs/rules.md#assigned_outside_pim
-- action: Remove the direct assignment and make it eligible through PIM instead.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
SELECT 'high' AS severity, 'assignment' AS subject_type, principal_id || '|' || role_id AS subject_id,
       coalesce(principal_upn, principal_id) || ' / ' || coalesce(role_name, role_id) AS subject_name, 'assigned outside PIM' AS observed, 'through PIM' AS threshold,
       coalesce(principal_upn, principal_id) || ' was given ' || coalesce(role_name, role_id) || ' outside PIM' || coalesce(' by ' || any_value(actor_upn) FILTER (WHERE step = 'direct_add'), '') AS detail,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM int_pim_events WHERE step IN ('direct_add', 'outside_pim') AND event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ
GROUP BY principal_id, principal_upn, role_id, role_name
ORDER BY subject_name;
