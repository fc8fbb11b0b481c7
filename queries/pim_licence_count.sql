-- id: pim_licence_count
-- title: People who need a PIM licence
-- description: How many people need a Microsoft Entra ID P2 or Microsoft Entra ID Governance licence
--   for PIM, by Microsoft's list (Microsoft Learn, "Microsoft Entra ID Governance licensing fundamentals",
--   section "Licenses you must have for PIM", https://learn.microsoft.com/en-us/entra/id-governance/licensing-fundamentals):
--   users with eligible or time-bound assignments to Entra or Azure roles managed using PIM, or as members
--   or owners of PIM for Groups; users able to approve or reject activation requests; users assigned to an
--   access review; users who perform access reviews. Permanent active assignments made outside PIM need none.
--   Approvers are those the log shows deciding in the period (role settings hold only how many there are),
--   so that line is a lower bound; the rest are read at as-of or in the period. Users only: service
--   principals and groups are not counted.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive): approvals and reviews
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: the moment assignments are read at
-- columns:
--   category: eligible, time-bound active, approvers, reviewed, reviewers, or total (distinct people)
--   people: how many
WITH assigned AS (
  SELECT principal_id, kind, end_at IS NOT NULL AS time_bound, principal_type
  FROM role_assignments
  WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
    AND coalesce(principal_type, 'user') = 'user'
    AND (source <> 'snapshot' OR observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))
),
people AS (
  SELECT 'eligible' AS category, principal_id AS person FROM assigned WHERE kind = 'eligible'
  UNION SELECT 'time-bound active', principal_id FROM assigned WHERE kind = 'active' AND time_bound
  UNION SELECT 'approvers', approver_id FROM pim_approvals
    WHERE decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ AND approver_id IS NOT NULL
  UNION SELECT 'reviewed', principal_id FROM access_review_decisions
    WHERE observed_at = (SELECT max(observed_at) FROM access_review_decisions WHERE observed_at <= $as_of::TIMESTAMPTZ)
  UNION SELECT 'reviewers', reviewed_by FROM access_review_decisions
    WHERE reviewed_by IS NOT NULL AND reviewed_at >= $from::TIMESTAMPTZ AND reviewed_at < $to::TIMESTAMPTZ
)
SELECT * FROM (
  SELECT category, count(DISTINCT person) AS people FROM people GROUP BY category
  UNION ALL
  SELECT 'total (distinct people)', count(DISTINCT person) FROM people
)
ORDER BY CASE category WHEN 'eligible' THEN 1 WHEN 'time-bound active' THEN 2 WHEN 'approvers' THEN 3 WHEN 'reviewed' THEN 4 WHEN 'reviewers' THEN 5 ELSE 6 END
