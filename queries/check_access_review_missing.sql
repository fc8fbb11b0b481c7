-- id: check_access_review_missing
-- title: Privileged role without an access review
-- description: Per privileged role in use at as-of (the shipped list, Graph's isPrivileged, and the configured tier 0): no
--   recurring access review covers it, so nobody re-checks who is eligible.
-- severity: medium; info when not computable
-- doc: docs/rules.md#access_review_missing
-- action: Create a recurring access review of the role's assignments in Entra ID Governance.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
-- thresholds:
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
-- include: access_review_coverage
,
findings AS (
  SELECT 'medium' AS severity, role_id, role_name, 'no review' AS observed, 'a recurring review' AS threshold,
         role_name || ' has no access review: nobody re-checks who is eligible' AS detail, NULL::TIMESTAMPTZ AS seen
  FROM covered WHERE review_id IS NULL
)
SELECT severity, 'role' AS subject_type, role_id AS subject_id, role_name AS subject_name, observed, threshold, detail, seen AS first_seen, seen AS last_seen
FROM findings WHERE (SELECT snap_at FROM snap) IS NOT NULL
UNION ALL
SELECT 'info', 'check', 'access_review_missing', 'not computable', NULL, NULL,
       'not computable: no access-review snapshot at or before as-of; run pimops ingest snapshot (needs AccessReview.Read.All)', NULL, NULL
WHERE (SELECT snap_at FROM snap) IS NULL
ORDER BY severity, subject_name;
