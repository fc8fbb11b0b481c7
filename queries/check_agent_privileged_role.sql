-- id: check_agent_privileged_role
-- title: Agent identity with a privileged role
-- description: Records from 2026 name an agent kind on the initiator and the targets (Entra Agent ID): an agent
--   identity made eligible for, assigned to or activating a privileged role (the role definition's isPrivileged
--   in the newest snapshot at or before the event, else the shipped list of privileged roles and the configured tier 0), or an agent
--   approving a request.
-- severity: high for tier-0 roles, medium otherwise
-- doc: docs/rules.md#agent_privileged_role
-- action: Remove the privileged role from the agent identity, or give it the least-privileged role it needs.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
-- thresholds:
--   tier0_roles: checks.tier0Roles
WITH extra AS (SELECT lower(unnest($tier0_roles::VARCHAR[])) AS r),
ev AS (
  SELECT e.*, coalesce(ro.privileged, false) AS shipped_privileged, coalesce(ro.tier0, false) OR e.role_id IN (SELECT r FROM extra) OR lower(coalesce(e.role_name, ro.role_name)) IN (SELECT r FROM extra) AS tier0,
    (SELECT arg_max(d.is_privileged, d.observed_at) FROM role_definitions d WHERE d.role_id = e.role_id AND d.observed_at <= e.event_time) AS snap_privileged
  FROM int_pim_events e LEFT JOIN roles ro ON ro.role_id = e.role_id
  WHERE e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
),
hits AS (
  -- The agent holds the role: made eligible, assigned (in PIM or outside it) or activating.
  SELECT event_time, 'assignment' AS subject_type, principal_id || '|' || role_id AS subject_id,
         coalesce(principal_upn, principal_id) AS who, role_id, role_name, tier0, principal_agent_type AS agent_type,
         CASE WHEN step = 'activated' THEN 'activated' WHEN kind = 'eligible' THEN 'made eligible' ELSE 'assigned' END AS what
  FROM ev
  WHERE step IN ('activated', 'assigned', 'direct_add', 'outside_pim') AND principal_id IS NOT NULL
    AND coalesce(principal_agent_type, 'notAgentic') <> 'notAgentic'
    AND coalesce(snap_privileged, shipped_privileged OR tier0)
  UNION ALL
  -- The agent decides for someone else: approval is the human check PIM relies on.
  SELECT event_time, 'actor', actor_id, coalesce(actor_upn, actor_id), role_id, role_name, tier0, actor_agent_type, 'approved a request for'
  FROM ev
  WHERE step IN ('approved', 'extend_approved') AND actor_id IS NOT NULL AND coalesce(actor_agent_type, 'notAgentic') <> 'notAgentic'
)
SELECT CASE WHEN tier0 THEN 'high' ELSE 'medium' END AS severity, subject_type, subject_id,
       who || ' / ' || coalesce(role_name, role_id) AS subject_name, what || ' (' || agent_type || ')' AS observed, 'no agent identity' AS threshold,
       'the agent identity ' || who || ' ' || what || ' ' || coalesce(role_name, role_id) || ': an agent acting with a privileged role answers to no person' AS detail,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM hits GROUP BY ALL
ORDER BY first_seen, subject_id;
