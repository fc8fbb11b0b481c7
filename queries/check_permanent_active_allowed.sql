-- id: check_permanent_active_allowed
-- title: Permanent active assignment allowed
-- description: Role settings (newest snapshot at or before as-of) that allow permanent active assignment: standing access.
-- severity: medium; info when not computable
-- doc: docs/rules.md#permanent_active_allowed
-- action: Turn off permanent active assignment in the role's PIM settings.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
-- thresholds:
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
SELECT 'medium' AS severity, subject_kind AS subject_type, subject AS subject_id, name AS subject_name,
       'permanent active allowed' AS observed, 'expiration required' AS threshold, name || ' allows permanent active assignment (standing access)' AS detail, observed_at AS first_seen, observed_at AS last_seen
FROM role_settings_at($as_of::TIMESTAMPTZ, to_json($tier0_roles::VARCHAR[])::VARCHAR, to_json($tier0_azure_roles::VARCHAR[])::VARCHAR)
WHERE permanent_active_allowed
UNION ALL
SELECT 'info', 'check', 'permanent_active_allowed', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
