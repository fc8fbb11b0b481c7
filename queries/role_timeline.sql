-- id: role_timeline
-- title: Role timeline
-- description: Who held a role, eligible or active, over a window: assignments (from replay and
--   snapshots) and activation windows that overlap it, in start order.
-- parameters:
--   role VARCHAR: role name (case-insensitive) or template id
--   from TIMESTAMPTZ: window start (inclusive)
--   to TIMESTAMPTZ: window end (exclusive)
-- columns:
--   kind: eligible, active (assignment) or activation
--   principal_id, principal_upn, role_name
--   start_at, end_at: the interval (end NULL = still holding)
--   source: audit_replay, snapshot or activation
--   how: via PIM, outside PIM, or the activation's request key
WITH r AS (SELECT lower($role) AS q),
held AS (
  SELECT kind, principal_id, principal_upn, role_id, role_name, start_at, coalesce(removed_at, end_at) AS end_at, source,
         CASE WHEN via_pim THEN 'via PIM' WHEN via_pim = false THEN 'outside PIM' END AS how
  FROM role_assignments
  UNION ALL
  SELECT 'activation', principal_id, principal_upn, role_id, role_name, started_at, coalesce(ended_at, scheduled_end), 'activation', request_key
  FROM pim_activations
)
SELECT kind, principal_id, principal_upn, role_name, start_at, end_at, source, how
FROM held, r
WHERE (lower(role_name) = r.q OR role_id = r.q)
  AND start_at < $to::TIMESTAMPTZ AND coalesce(end_at, 'infinity'::TIMESTAMPTZ) > $from::TIMESTAMPTZ
ORDER BY start_at, principal_id;
