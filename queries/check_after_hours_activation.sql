-- id: check_after_hours_activation
-- title: Activation outside the admin's usual hours
-- description: From Microsoft's security-operations guide for PIM (activations outside business hours),
--   judged against each admin's own habits so a night shift is not flagged every night: an Entra-role
--   activation is unusual when fewer than the minimum share of the admin's activations in the history
--   days before it began within the tolerance of the same local time of day (configured zone) on the same
--   kind of day (business day or not). With fewer earlier activations than the minimum history there is
--   no habit yet, and the business hours judge instead.
-- severity: low
-- doc: docs/rules.md#after_hours_activation
-- action: Confirm with the admin that the activation outside their usual hours was theirs.
-- population: population_activating_admins
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   business_start_hour DOUBLE: business hours start (local hour)
--   business_end_hour DOUBLE: business hours end (local hour)
--   business_time_zone VARCHAR: IANA time zone of the business hours
--   business_weekdays INTEGER[]: list of ISO weekdays (1 = Monday) that are business days
--   usual_history_days DOUBLE: how far back an admin's habits are learned, in days
--   usual_min_history INTEGER: earlier activations needed before habits judge
--   usual_min_share DOUBLE: share of earlier activations near the same time that makes a time usual
--   usual_tolerance_hours DOUBLE: how near (hours of the local day, either side) counts as the same time
-- thresholds:
--   business_start_hour, business_end_hour, business_time_zone, business_weekdays: detections.businessHours
--   usual_history_days, usual_min_history, usual_min_share, usual_tolerance_hours: detections.usualHours
WITH acts AS (
  SELECT principal_id, principal_upn, role_name, started_at, timezone($business_time_zone, started_at) AS local_start
  FROM pim_activations
  WHERE plane = 'entra_role' AND start_known AND started_at < $to::TIMESTAMPTZ
    AND started_at >= $from::TIMESTAMPTZ - to_seconds(CAST($usual_history_days * 86400 AS BIGINT))
), shaped AS (
  SELECT *, hour(local_start) + minute(local_start) / 60.0 AS local_hour,
         list_contains($business_weekdays::INTEGER[], isodow(local_start)) AS business_day
  FROM acts
), judged AS (
  SELECT a.principal_id, a.principal_upn, a.role_name, a.started_at, a.local_start,
         a.business_day AND a.local_hour >= $business_start_hour::DOUBLE AND a.local_hour < $business_end_hour::DOUBLE AS in_hours,
         count(h.started_at) AS history,
         -- Distance on the 24-hour clock: 23:30 and 00:30 are an hour apart.
         count(h.started_at) FILTER (WHERE h.business_day = a.business_day
           AND least(abs(h.local_hour - a.local_hour), 24 - abs(h.local_hour - a.local_hour)) <= $usual_tolerance_hours::DOUBLE) AS near
  FROM shaped a
  LEFT JOIN shaped h ON h.principal_id = a.principal_id AND h.started_at < a.started_at
   AND h.started_at >= a.started_at - to_seconds(CAST($usual_history_days * 86400 AS BIGINT))
  WHERE a.started_at >= $from::TIMESTAMPTZ
  GROUP BY ALL
), flagged AS (
  SELECT * FROM judged
  WHERE CASE WHEN history >= $usual_min_history::INTEGER THEN near < $usual_min_share::DOUBLE * history ELSE NOT in_hours END
)
SELECT 'low' AS severity, 'principal' AS subject_type, principal_id AS subject_id, coalesce(any_value(principal_upn), principal_id) AS subject_name,
       count(*) || ' activation(s) outside their usual hours' AS observed,
       'usual: ≥ ' || round($usual_min_share * 100, 1) || '% of their activations in the ' || $usual_history_days || ' days before within ' ||
         $usual_tolerance_hours || ' h (' || $business_time_zone || '); with fewer than ' || $usual_min_history || ' earlier, ' ||
         $business_start_hour || ':00–' || $business_end_hour || ':00 on business days' AS threshold,
       coalesce(any_value(principal_upn), principal_id) || ' activated ' || string_agg(DISTINCT role_name, ', ' ORDER BY role_name) || ' at ' ||
         string_agg(strftime(local_start, '%a %Y-%m-%d %H:%M'), ', ' ORDER BY started_at) || ' ' || $business_time_zone ||
         CASE WHEN bool_or(history < $usual_min_history) THEN ' (no habit yet for ' || count(*) FILTER (WHERE history < $usual_min_history) || ' of them: outside business hours)'
              ELSE ', outside their usual hours' END AS detail,
       min(started_at) AS first_seen, max(started_at) AS last_seen
FROM flagged
GROUP BY principal_id
ORDER BY first_seen;
