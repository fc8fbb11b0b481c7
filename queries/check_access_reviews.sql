-- id: check_access_reviews
-- title: Access reviews of privileged roles
-- description: Per privileged role (the shipped list, Graph's isPrivileged, and the configured
--   tier 0): a recurring review exists; it recurs at least quarterly (semi-annually for roles below
--   tier 0); silence removes access (default decision Deny, applied automatically); the latest
--   instance is not overdue; and, as info, the latest outcomes and removal rate.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR: JSON list of extra tier-0 role names or ids
--   review_max_interval_months DOUBLE: the longest recurrence for tier-0 roles
--   lower_tier_review_max_interval_months DOUBLE: the longest recurrence for other privileged roles
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   review_max_interval_months: checks.reviewMaxIntervalMonths (3)
--   lower_tier_review_max_interval_months: checks.lowerTierReviewMaxIntervalMonths (6)
--   tier0_roles: checks.tier0Roles
WITH snap AS (SELECT max(observed_at) AS snap_at FROM access_review_definitions WHERE observed_at <= $as_of::TIMESTAMPTZ),
extra AS (SELECT lower(unnest(from_json($tier0_roles, '["VARCHAR"]'))) AS r),
privileged AS (
  -- Roles that are privileged and in use here (eligible or active at as-of).
  SELECT ro.role_id, ro.role_name, ro.tier0 OR ro.role_id IN (SELECT r FROM extra) OR lower(ro.role_name) IN (SELECT r FROM extra) AS tier0
  FROM roles ro
  WHERE (ro.privileged OR ro.role_id IN (SELECT role_id FROM role_definitions WHERE is_privileged))
    AND ro.role_id IN (SELECT role_id FROM role_assignments WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ
                       AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ)
),
defs AS (
  SELECT d.*,
    TRY_CAST(d.settings ->> '$.recurrence.pattern.interval' AS DOUBLE) AS every,
    d.settings ->> '$.recurrence.pattern.type' AS pattern,
    coalesce(d.settings ->> 'defaultDecision', 'None') AS default_decision,
    coalesce(TRY_CAST(d.settings ->> 'autoApplyDecisionsEnabled' AS BOOLEAN), false) AS auto_apply
  FROM access_review_definitions d JOIN snap ON d.observed_at = snap.snap_at
),
covered AS (
  SELECT p.*, d.review_id, d.display_name, d.every, d.pattern, d.default_decision, d.auto_apply, d.observed_at,
    CASE WHEN d.pattern ILIKE '%monthly%' THEN d.every WHEN d.pattern ILIKE '%weekly%' THEN d.every / 4.3 WHEN d.pattern ILIKE '%daily%' THEN d.every / 30 ELSE NULL END AS months
  FROM privileged p LEFT JOIN defs d ON CAST(d.scope AS VARCHAR) ILIKE '%' || p.role_id || '%'
),
latest AS (
  SELECT i.definition_id, arg_max(i.instance_id, i.start_at) AS instance_id, arg_max(i.status, i.start_at) AS status, max(i.end_at) AS end_at
  FROM access_review_instances i JOIN snap ON i.observed_at = snap.snap_at GROUP BY i.definition_id
),
outcomes AS (
  SELECT l.definition_id, count(*) AS n, count(*) FILTER (WHERE d.decision = 'Deny') AS denied, count(*) FILTER (WHERE d.decision = 'NotReviewed') AS not_reviewed
  FROM latest l JOIN access_review_decisions d ON d.instance_id = l.instance_id JOIN snap ON d.observed_at = snap.snap_at GROUP BY l.definition_id
),
findings AS (
  SELECT 'medium' AS severity, role_id, role_name, 'no review' AS observed, 'a recurring review' AS threshold,
         role_name || ' has no access review: nobody re-checks who is eligible' AS detail, NULL::TIMESTAMPTZ AS seen
  FROM covered WHERE review_id IS NULL
  UNION ALL
  SELECT 'low', role_id, role_name, 'every ' || round(months, 1) || ' months', '≤ ' || CASE WHEN tier0 THEN $review_max_interval_months ELSE $lower_tier_review_max_interval_months END || ' months',
         role_name || ': review "' || display_name || '" recurs every ' || round(months, 1) || ' months', observed_at
  FROM covered WHERE review_id IS NOT NULL AND (months IS NULL OR months > CASE WHEN tier0 THEN $review_max_interval_months::DOUBLE ELSE $lower_tier_review_max_interval_months::DOUBLE END)
  UNION ALL
  SELECT 'low', role_id, role_name, 'no response: ' || default_decision || CASE WHEN auto_apply THEN ', applied' ELSE ', not applied' END, 'Deny, applied automatically',
         role_name || ': reviewers who do not answer leave access in place', observed_at
  FROM covered WHERE review_id IS NOT NULL AND NOT (default_decision = 'Deny' AND auto_apply)
  UNION ALL
  SELECT 'medium', c.role_id, c.role_name, 'instance ' || l.status || ' past ' || strftime(l.end_at, '%Y-%m-%d'), 'completed by its end',
         c.role_name || ': the latest review ended ' || strftime(l.end_at, '%Y-%m-%d') || ' and is ' || l.status, l.end_at
  FROM covered c JOIN latest l ON l.definition_id = c.review_id
  WHERE l.end_at < $as_of::TIMESTAMPTZ AND l.status NOT IN ('Completed', 'Applied')
  UNION ALL
  SELECT 'info', c.role_id, c.role_name, o.n || ' decisions, ' || o.denied || ' removed, ' || o.not_reviewed || ' not reviewed', NULL,
         c.role_name || ': latest review removed ' || round(100.0 * o.denied / o.n, 1) || '% (' || o.not_reviewed || ' not reviewed)', l.end_at
  FROM covered c JOIN latest l ON l.definition_id = c.review_id JOIN outcomes o ON o.definition_id = c.review_id
)
SELECT 'check_access_reviews' AS check_id, severity, 'role' AS subject_type, role_id AS subject_id, role_name AS subject_name, observed, threshold, detail, seen AS first_seen, seen AS last_seen
FROM findings WHERE (SELECT snap_at FROM snap) IS NOT NULL
UNION ALL
SELECT 'check_access_reviews', 'info', 'check', 'check_access_reviews', 'not computable', NULL, NULL,
       'not computable: no access-review snapshot at or before as-of; run pimops ingest snapshot (needs AccessReview.Read.All)', NULL, NULL
WHERE (SELECT snap_at FROM snap) IS NULL
ORDER BY severity, subject_name;
