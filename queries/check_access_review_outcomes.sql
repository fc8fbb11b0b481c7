-- id: check_access_review_outcomes
-- title: Access review outcomes
-- description: Per privileged role in use at as-of (the shipped list, Graph's isPrivileged, and the configured tier 0): the
--   latest review's decisions, how many removed access and how many were not reviewed.
-- severity: info; info when not computable
-- doc: docs/rules.md#access_review_outcomes
-- action: Read the outcomes with the role's owner and remove what reviewers denied.
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
outcomes AS (
  SELECT l.definition_id, count(*) AS n, count(*) FILTER (WHERE d.decision = 'Deny') AS denied, count(*) FILTER (WHERE d.decision = 'NotReviewed') AS not_reviewed
  FROM latest l JOIN access_review_decisions d ON d.instance_id = l.instance_id JOIN snap ON d.observed_at = snap.snap_at GROUP BY l.definition_id
),
findings AS (
  SELECT 'info' AS severity, c.role_id, c.role_name, o.n || ' decisions, ' || o.denied || ' removed, ' || o.not_reviewed || ' not reviewed' AS observed, NULL AS threshold,
         c.role_name || ': latest review removed ' || round(100.0 * o.denied / o.n, 1) || '% (' || o.not_reviewed || ' not reviewed)' AS detail, l.end_at AS seen
  FROM covered c JOIN latest l ON l.definition_id = c.review_id JOIN outcomes o ON o.definition_id = c.review_id
)
SELECT severity, 'role' AS subject_type, role_id AS subject_id, role_name AS subject_name, observed, threshold, detail, seen AS first_seen, seen AS last_seen
FROM findings WHERE (SELECT snap_at FROM snap) IS NOT NULL
UNION ALL
SELECT 'info', 'check', 'access_review_outcomes', 'not computable', NULL, NULL,
       'not computable: no access-review snapshot at or before as-of; run pimops ingest snapshot (needs AccessReview.Read.All)', NULL, NULL
WHERE (SELECT snap_at FROM snap) IS NULL
ORDER BY severity, subject_name;
