-- fragment: group_carried_roles
-- Included by the elevation metrics (active_hours, time_to_activate): the spans in which a
-- role-assignable group held an Entra role actively, from a snapshot instance or audit replay (an
-- assignment to the group: principal_type group). A member's PIM for Groups activation of such a group
-- is an elevation into those roles, and the log writes it once, in GroupManagement (a role-plane record
-- naming the Group is the other case: a role made eligible through the group and activated as a role).
-- So it counts once, under the Entra roles and not again under the group plane. Ends with the CTE
-- `carried`; the including query continues with `, name AS (`.
WITH carried AS (
  SELECT DISTINCT principal_id AS group_id, start_at, coalesce(removed_at, end_at) AS until
  FROM role_assignments
  WHERE plane = 'entra_role' AND principal_type = 'group' AND kind = 'active'
)
