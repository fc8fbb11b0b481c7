-- id: check_access_review_overdue
-- title: Access review overdue
-- description: Per privileged role in use at as-of (the shipped list, Graph's isPrivileged, and the configured tier 0): the
--   latest review instance ended before as-of and is not completed.
-- severity: medium; info when not computable
-- doc: docs/rules.md#access_review_overdue
-- action: Ask the reviewers to finish the open review, or end it and apply its results.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
-- thresholds:
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
-- include: access_review_coverage
,
latest AS (
  SELECT i.definition_id, arg_max(i.instance_id, i.start_at) AS instance_id, arg_max(i.status, i.start_at) AS status, max(i.end_at) AS end_at
  FROM access_review_instances i JOIN snap ON i.observed_at = snap.snap_at GROUP BY i.definition_id
),
findings AS (
  SELECT 'medium' AS severity, c.role_id, c.role_name, 'instance ' || l.status || ' past ' || strftime(l.end_at, '%Y-%m-%d') AS observed, 'completed by its end' AS threshold,
         c.role_name || ': the latest review ended ' || strftime(l.end_at, '%Y-%m-%d') || ' and is ' || l.status AS detail, l.end_at AS seen
  FROM covered c JOIN latest l ON l.definition_id = c.review_id
  WHERE l.end_at < $as_of::TIMESTAMPTZ AND l.status NOT IN ('Completed', 'Applied')
)
SELECT severity, 'role' AS subject_type, role_id AS subject_id, role_name AS subject_name, observed, threshold, detail, seen AS first_seen, seen AS last_seen
FROM findings WHERE (SELECT snap_at FROM snap) IS NOT NULL
UNION ALL
SELECT 'info', 'check', 'access_review_overdue', 'not computable', NULL, NULL,
       'not computable: no access-review snapshot at or before as-of; run pimops ingest snapshot (needs AccessReview.Read.All)', NULL, NULL
WHERE (SELECT snap_at FROM snap) IS NULL
ORDER BY severity, subject_name;
