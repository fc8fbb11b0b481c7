-- id: check_role_activation_requirements
-- title: Activation requirements missing
-- description: Role settings that let a role be activated without MFA (or an authentication
--   context), without a justification, or, where the tenant uses tickets, without a ticket.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   require_ticket BOOLEAN: whether a missing ticket requirement is a finding
--   tier0_roles VARCHAR: JSON list of extra tier-0 role names or ids
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   require_ticket: checks.requireTicket (false)
--   tier0_roles: checks.tier0Roles
WITH p AS (SELECT * FROM role_settings_at($as_of::TIMESTAMPTZ, $tier0_roles)),
findings AS (
  SELECT p.*, 'mfa' AS what, CASE WHEN tier0 THEN 'high' ELSE 'medium' END AS severity,
         name || ': activation does not require MFA or an authentication context' AS detail
  FROM p WHERE NOT coalesce(mfa_required, false) AND NOT coalesce(auth_context_enabled, false)
  UNION ALL
  SELECT p.*, 'justification', 'low', name || ': activation does not require a justification' FROM p WHERE NOT coalesce(justification_required, false)
  UNION ALL
  SELECT p.*, 'ticket', 'low', name || ': activation does not require a ticket' FROM p WHERE $require_ticket::BOOLEAN AND NOT coalesce(ticket_required, false)
)
SELECT 'check_role_activation_requirements' AS check_id, severity, 'role' AS subject_type, role_id AS subject_id, name AS subject_name,
       what || ' not required' AS observed, what || ' required' AS threshold, detail, observed_at AS first_seen, observed_at AS last_seen
FROM findings
UNION ALL
SELECT 'check_role_activation_requirements', 'info', 'check', 'check_role_activation_requirements', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
