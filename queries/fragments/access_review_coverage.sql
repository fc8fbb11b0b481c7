-- fragment: access_review_coverage
-- Included by the access-review checks (`-- include: access_review_coverage`): the privileged roles in use
-- at $as_of, the review definitions of the newest snapshot at or before it, and which role each covers.
-- Uses $as_of and $tier0_roles; ends with the CTE `covered`, so the including query continues with `, name AS (`.
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
)
