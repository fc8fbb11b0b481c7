-- id: check_access_review_infrequent
-- title: Access review recurs too rarely
-- description: Per privileged role in use at as-of (the shipped list, Graph's isPrivileged, and the configured tier 0): its
--   review recurs less often than quarterly (tier 0) or semi-annually (other privileged roles).
-- severity: low; info when not computable
-- doc: docs/rules.md#access_review_infrequent
-- action: Shorten the review's recurrence to the configured interval or less in Entra ID Governance.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
--   review_max_interval_months DOUBLE: the longest recurrence for tier-0 roles
--   lower_tier_review_max_interval_months DOUBLE: the longest recurrence for other privileged roles
-- thresholds:
--   review_max_interval_months: checks.reviewMaxIntervalMonths (3)
--   lower_tier_review_max_interval_months: checks.lowerTierReviewMaxIntervalMonths (6)
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
-- include: access_review_coverage
,
findings AS (
  SELECT 'low' AS severity, role_id, role_name, 'every ' || round(months, 1) || ' months' AS observed,
         '≤ ' || CASE WHEN tier0 THEN $review_max_interval_months ELSE $lower_tier_review_max_interval_months END || ' months' AS threshold,
         role_name || ': review "' || display_name || '" recurs every ' || round(months, 1) || ' months' AS detail, observed_at AS seen
  FROM covered WHERE review_id IS NOT NULL AND (months IS NULL OR months > CASE WHEN tier0 THEN $review_max_interval_months::DOUBLE ELSE $lower_tier_review_max_interval_months::DOUBLE END)
)
SELECT severity, 'role' AS subject_type, role_id AS subject_id, role_name AS subject_name, observed, threshold, detail, seen AS first_seen, seen AS last_seen
FROM findings WHERE (SELECT snap_at FROM snap) IS NOT NULL
UNION ALL
SELECT 'info', 'check', 'access_review_infrequent', 'not computable', NULL, NULL,
       'not computable: no access-review snapshot at or before as-of; run pimops ingest snapshot (needs AccessReview.Read.All)', NULL, NULL
WHERE (SELECT snap_at FROM snap) IS NULL
ORDER BY severity, subject_name;
