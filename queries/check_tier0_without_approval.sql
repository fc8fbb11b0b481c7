-- id: check_tier0_without_approval
-- title: Tier-0 role without approval
-- description: Role settings (newest snapshot at or before as-of) that let a tier-0 role be activated without approval.
-- severity: high; info when not computable
-- doc: docs/rules.md#tier0_without_approval
-- action: Require approval to activate the tier-0 role in its PIM settings.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
-- thresholds:
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
SELECT 'high' AS severity, subject_kind AS subject_type, subject AS subject_id, name AS subject_name,
       'approval not required' AS observed, 'approval required' AS threshold, name || ' is tier 0 and can be activated without approval' AS detail, observed_at AS first_seen, observed_at AS last_seen
FROM role_settings_at($as_of::TIMESTAMPTZ, to_json($tier0_roles::VARCHAR[])::VARCHAR, to_json($tier0_azure_roles::VARCHAR[])::VARCHAR)
WHERE tier0 AND NOT coalesce(approval_required, false)
UNION ALL
SELECT 'info', 'check', 'tier0_without_approval', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
