-- id: check_access_review_missing
-- title: Privileged role without an access review
-- description: Per privileged role in use at as-of (the shipped list, Graph's isPrivileged, and the configured tier 0): no
--   recurring access review covers it, so nobody re-checks who is eligible.
-- severity: medium; info when not computable
-- doc: docs/rules.md#access_review_missing
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
-- thresholds:
--   tier0_roles: checks.tier0Roles
WITH snap AS (SELECT max(observed_at) AS snap_at FROM access_review_definitions WHERE observed_at <= $as_of::TIMESTAMPTZ),
extra AS (SELECT lower(unnest($tier0_roles::VARCHAR[])) AS r),
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
