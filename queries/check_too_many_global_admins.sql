-- id: check_too_many_global_admins
-- title: Too many Global Administrators
-- description: PIM's "there are too many Global Administrators" alert: at as-of, the number of
--   Global Administrators and their share of everyone holding a role are both at or above the limits.
-- severity: low
-- doc: docs/rules.md#too_many_global_admins
-- action: Move Global Administrators to least-privileged roles until the count is under the threshold.
-- parameters:
--   as_of TIMESTAMPTZ: for who holds what
--   ga_count_threshold INTEGER: Global Administrators at or above which (with the share) the alert fires
--   ga_share_threshold DOUBLE: Global Administrators' share of all role holders
-- thresholds:
--   ga_count_threshold: detections.globalAdminCountThreshold (5)
--   ga_share_threshold: detections.globalAdminShareThreshold (0.1)
WITH held AS (
  SELECT * FROM role_assignments
  WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
    AND (source = 'audit_replay' AND NOT EXISTS (SELECT 1 FROM role_assignments s WHERE s.source = 'snapshot' AND s.observed_at <= $as_of::TIMESTAMPTZ)
         OR source = 'snapshot' AND observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))
),
-- A group whose members are listed is counted through them, not as one more holder beside them.
people AS (
  SELECT * FROM held
  WHERE NOT (coalesce(principal_type, '') = 'group' AND principal_id IN (SELECT via_group_id FROM held WHERE via_group_id IS NOT NULL))
),
ga AS (
  SELECT count(DISTINCT principal_id) FILTER (WHERE role_id = '62e90394-69f5-4237-9190-012177145e10') AS ga, count(DISTINCT principal_id) AS holders FROM people
)
SELECT 'low' AS severity, 'tenant' AS subject_type, 'global-administrators' AS subject_id, 'Global Administrators' AS subject_name,
       ga || ' of ' || holders || ' role holders (' || round(100.0 * ga / holders, 1) || '%)' AS observed,
       '< ' || $ga_count_threshold || ' or < ' || round(100 * $ga_share_threshold, 1) || '%' AS threshold,
       ga || ' principals hold Global Administrator (' || round(100.0 * ga / holders, 1) || '% of everyone holding a role): use least-privileged roles' AS detail,
       NULL::TIMESTAMPTZ AS first_seen, NULL::TIMESTAMPTZ AS last_seen
FROM ga WHERE holders > 0 AND ga >= $ga_count_threshold::INTEGER AND ga::DOUBLE / holders >= $ga_share_threshold::DOUBLE;
