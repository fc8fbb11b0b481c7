-- id: check_too_few_approvers
-- title: Too few approvers
-- description: Role settings (newest snapshot at or before as-of) that require approval from fewer approvers than the minimum: one
--   absent person blocks every activation.
-- severity: medium; info when not computable
-- doc: docs/rules.md#too_few_approvers
-- action: Add approvers to the role so requests do not wait on one person.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
--   min_approvers INTEGER: approvers an approval-required role should have
-- thresholds:
--   min_approvers: checks.minApprovers (2)
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
SELECT 'medium' AS severity, subject_kind AS subject_type, subject AS subject_id, name AS subject_name,
       approvers || ' approver' || CASE WHEN approvers = 1 THEN '' ELSE 's' END AS observed, '≥ ' || $min_approvers AS threshold, name || ' needs approval but has ' || coalesce(approvers, 0) || ' approver(s): when they are away, nobody can activate it' AS detail, observed_at AS first_seen, observed_at AS last_seen
FROM role_settings_at($as_of::TIMESTAMPTZ, to_json($tier0_roles::VARCHAR[])::VARCHAR, to_json($tier0_azure_roles::VARCHAR[])::VARCHAR)
WHERE approval_required AND coalesce(approvers, 0) < $min_approvers::INTEGER
UNION ALL
SELECT 'info', 'check', 'too_few_approvers', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
