-- id: check_after_hours_activation
-- title: Activation outside business hours
-- description: From Microsoft's security-operations guide for PIM: Entra-role activations that
--   started outside the configured business hours (local time) or on a day that is not a business day.
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
-- thresholds:
--   business_start_hour, business_end_hour, business_time_zone, business_weekdays: detections.businessHours
WITH local AS (
  SELECT a.*, timezone($business_time_zone, a.started_at) AS local_start FROM pim_activations a
  WHERE a.plane = 'entra_role' AND a.started_at >= $from::TIMESTAMPTZ AND a.started_at < $to::TIMESTAMPTZ AND a.start_known
)
SELECT 'low' AS severity, 'principal' AS subject_type, principal_id AS subject_id, coalesce(any_value(principal_upn), principal_id) AS subject_name,
       count(*) || ' activation(s) outside business hours' AS observed,
       $business_start_hour || ':00–' || $business_end_hour || ':00 ' || $business_time_zone || ' on business days' AS threshold,
       coalesce(any_value(principal_upn), principal_id) || ' activated ' || string_agg(DISTINCT role_name, ', ' ORDER BY role_name) || ' ' || count(*) || ' time(s) outside business hours' AS detail,
       min(started_at) AS first_seen, max(started_at) AS last_seen
FROM local
WHERE NOT list_contains($business_weekdays::INTEGER[], isodow(local_start))
   OR hour(local_start) + minute(local_start) / 60.0 < $business_start_hour::DOUBLE
   OR hour(local_start) + minute(local_start) / 60.0 >= $business_end_hour::DOUBLE
GROUP BY principal_id
ORDER BY first_seen;
