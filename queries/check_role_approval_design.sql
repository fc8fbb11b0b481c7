-- id: check_role_approval_design
-- title: Approval design of role settings
-- description: Tier-0 roles that can be activated without approval, approval with fewer approvers
--   than the minimum (one absent person blocks every activation), and settings that allow
--   permanent eligible or permanent active assignment.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   min_approvers INTEGER: approvers an approval-required role should have
--   tier0_roles VARCHAR: JSON list of extra tier-0 role names or ids
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   min_approvers: checks.minApprovers (2)
--   tier0_roles: checks.tier0Roles
WITH p AS (SELECT * FROM role_settings_at($as_of::TIMESTAMPTZ, $tier0_roles)),
findings AS (
  SELECT p.*, 'high' AS severity, 'approval not required' AS observed, 'approval required' AS threshold,
         name || ' is tier 0 and can be activated without approval' AS detail
  FROM p WHERE tier0 AND NOT coalesce(approval_required, false)
  UNION ALL
  SELECT p.*, 'medium', approvers || ' approver' || CASE WHEN approvers = 1 THEN '' ELSE 's' END, '≥ ' || $min_approvers,
         name || ' needs approval but has ' || coalesce(approvers, 0) || ' approver(s): when they are away, nobody can activate it'
  FROM p WHERE approval_required AND coalesce(approvers, 0) < $min_approvers::INTEGER
  UNION ALL
  SELECT p.*, 'medium', 'permanent active allowed', 'expiration required', name || ' allows permanent active assignment (standing access)'
  FROM p WHERE permanent_active_allowed
  UNION ALL
  SELECT p.*, 'low', 'permanent eligible allowed', 'expiration required', name || ' allows permanent eligibility (never re-justified)'
  FROM p WHERE permanent_eligible_allowed
)
SELECT 'check_role_approval_design' AS check_id, severity, 'role' AS subject_type, role_id AS subject_id, name AS subject_name,
       observed, threshold, detail, observed_at AS first_seen, observed_at AS last_seen
FROM findings
UNION ALL
SELECT 'check_role_approval_design', 'info', 'check', 'check_role_approval_design', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
