-- id: check_access_review_silence_keeps_access
-- title: Unanswered access review keeps access
-- description: Per privileged role in use at as-of (the shipped list, Graph's isPrivileged, and the configured tier 0): its
--   review does not remove access when reviewers stay silent (default decision Deny, applied automatically).
-- severity: low; info when not computable
-- doc: docs/rules.md#access_review_silence_keeps_access
-- action: Set the review's "if reviewers don't respond" setting to remove access.
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
  SELECT 'low' AS severity, role_id, role_name, 'no response: ' || default_decision || CASE WHEN auto_apply THEN ', applied' ELSE ', not applied' END AS observed,
         'Deny, applied automatically' AS threshold, role_name || ': reviewers who do not answer leave access in place' AS detail, observed_at AS seen
  FROM covered WHERE review_id IS NOT NULL AND NOT (default_decision = 'Deny' AND auto_apply)
)
SELECT severity, 'role' AS subject_type, role_id AS subject_id, role_name AS subject_name, observed, threshold, detail, seen AS first_seen, seen AS last_seen
FROM findings WHERE (SELECT snap_at FROM snap) IS NOT NULL
UNION ALL
SELECT 'info', 'check', 'access_review_silence_keeps_access', 'not computable', NULL, NULL,
       'not computable: no access-review snapshot at or before as-of; run pimops ingest snapshot (needs AccessReview.Read.All)', NULL, NULL
WHERE (SELECT snap_at FROM snap) IS NULL
ORDER BY severity, subject_name;
