-- id: check_role_max_activation
-- title: Activation lasts too long
-- description: Role settings (newest snapshot at or before as_of) whose maximum activation
--   duration exceeds the recommendation: shorter for tier-0 roles.
-- severity: high for tier-0 roles, medium for others; info when not computable
-- doc: docs/rules.md#role_max_activation
-- action: Lower the role's maximum activation duration in its PIM settings.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   max_activation_hours DOUBLE: the limit for other roles
--   tier0_max_activation_hours DOUBLE: the limit for tier-0 roles
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
-- thresholds:
--   max_activation_hours: checks.maxActivationHours (4)
--   tier0_max_activation_hours: checks.tier0MaxActivationHours (2)
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
WITH p AS (SELECT * FROM role_settings_at($as_of::TIMESTAMPTZ, to_json($tier0_roles::VARCHAR[])::VARCHAR, to_json($tier0_azure_roles::VARCHAR[])::VARCHAR))
SELECT
       CASE WHEN tier0 THEN 'high' ELSE 'medium' END AS severity,
       subject_kind AS subject_type, subject AS subject_id, name AS subject_name,
       max_activation AS observed,
       'PT' || CAST(CASE WHEN tier0 THEN $tier0_max_activation_hours ELSE $max_activation_hours END AS VARCHAR) || 'H' AS threshold,
       name || ': activations may last ' || round(max_activation_seconds / 3600, 2) || ' h; keep ' || CASE WHEN tier0 THEN 'tier-0 roles to ' || $tier0_max_activation_hours ELSE 'roles to ' || $max_activation_hours END || ' h or less' AS detail,
       observed_at AS first_seen, observed_at AS last_seen
FROM p
WHERE max_activation_seconds > 3600 * CASE WHEN tier0 THEN $tier0_max_activation_hours::DOUBLE ELSE $max_activation_hours::DOUBLE END
UNION ALL
SELECT 'info', 'check', 'role_max_activation', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
