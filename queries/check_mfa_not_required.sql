-- id: check_mfa_not_required
-- title: Activation without MFA
-- description: Role settings (newest snapshot at or before as-of) that let a role be activated without MFA or an
--   authentication context.
-- severity: high for tier-0 roles, medium for others; info when not computable
-- doc: docs/rules.md#mfa_not_required
-- action: Require MFA (or an authentication context) on activation in the role's PIM settings.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
-- thresholds:
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
SELECT CASE WHEN tier0 THEN 'high' ELSE 'medium' END AS severity, subject_kind AS subject_type, subject AS subject_id, name AS subject_name,
       'mfa not required' AS observed, 'mfa required' AS threshold, name || ': activation does not require MFA or an authentication context' AS detail, observed_at AS first_seen, observed_at AS last_seen
FROM role_settings_at($as_of::TIMESTAMPTZ, to_json($tier0_roles::VARCHAR[])::VARCHAR, to_json($tier0_azure_roles::VARCHAR[])::VARCHAR)
WHERE NOT coalesce(mfa_required, false) AND NOT coalesce(auth_context_enabled, false)
UNION ALL
SELECT 'info', 'check', 'mfa_not_required', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
