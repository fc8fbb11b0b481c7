-- role_assignments (audit replay): eligible and active assignments over time. Consecutive adds for
-- one (plane, principal, role, scope, kind) are one assignment until a removal, so PIM's repeated
-- "outside of PIM" notices and a Core Directory add of the same assignment count once.
-- Rows from Graph state snapshots (source = 'snapshot') are added by the snapshot ingest.
-- via_group_*: the record lists a role-assignable Group beside the User (audit_records): the user holds
-- the role through it. The row stays the user's. Columns are named: the table is filled BY NAME.
WITH ev AS (
  SELECT event_id, event_time, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind,
    CASE WHEN step IN ('assigned', 'direct_add', 'outside_pim') THEN 'add' ELSE 'remove' END AS op,
    step = 'assigned' AS via_pim, coalesce(permanent, true) AS is_permanent, expiration_time, via_group_id, via_group_name, tenant_id
  FROM int_pim_events WHERE step IN ('assigned', 'direct_add', 'outside_pim', 'removed', 'direct_remove')
),
marked AS (
  SELECT *,
    lag(op) OVER w AS prev_op,
    min(CASE WHEN op = 'remove' THEN event_time END) OVER (w ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_remove
  FROM ev
  WINDOW w AS (PARTITION BY tenant_id, plane, principal_id, role_id, scope_id, kind ORDER BY event_time, event_id)
)
SELECT plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind,
  CASE WHEN via_group_id IS NULL THEN 'direct' ELSE 'group' END AS member_type,
  event_time AS start_at, CASE WHEN is_permanent THEN NULL ELSE expiration_time END AS end_at, next_remove AS removed_at,
  is_permanent, via_pim, 'audit_replay' AS source, NULL::TIMESTAMPTZ AS observed_at, event_id AS source_event_id,
  via_group_id, via_group_name, tenant_id
FROM marked WHERE op = 'add' AND (prev_op IS NULL OR prev_op = 'remove')
