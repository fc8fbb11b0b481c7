-- id: check_security_operations
-- title: Microsoft's PIM security-operations signals
-- description: From Microsoft's security-operations guide for PIM: bursts of eligible assignments by
--   one actor (more than the limit within 60 minutes; a lower limit for privileged roles), bulk role
--   removals by one actor (same limit), PIM alerts
--   disabled, activations outside business hours, and the first time someone holds a role.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   eligible_adds_per_hour INTEGER: eligible assignments by one actor in 60 minutes above which it is a burst
--   eligible_adds_per_hour_privileged INTEGER: the same for privileged roles
--   business_start_hour DOUBLE: business hours start (local hour)
--   business_end_hour DOUBLE: business hours end (local hour)
--   business_time_zone VARCHAR: IANA time zone of the business hours
--   business_weekdays VARCHAR: JSON list of ISO weekdays (1 = Monday) that are business days
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   eligible_adds_per_hour: detections.eligibleAddsPerHour (4)
--   eligible_adds_per_hour_privileged: detections.eligibleAddsPerHourPrivileged (2)
--   business_start_hour, business_end_hour, business_time_zone, business_weekdays: detections.businessHours
WITH adds AS (
  SELECT e.*, coalesce(r.privileged, false) AS privileged,
         count(*) OVER (PARTITION BY e.actor_id ORDER BY e.event_time RANGE BETWEEN INTERVAL 60 MINUTES PRECEDING AND CURRENT ROW) AS n_all,
         count(*) FILTER (WHERE coalesce(r.privileged, false)) OVER (PARTITION BY e.actor_id ORDER BY e.event_time RANGE BETWEEN INTERVAL 60 MINUTES PRECEDING AND CURRENT ROW) AS n_priv
  FROM int_pim_events e LEFT JOIN roles r USING (role_id)
  WHERE e.step = 'assigned' AND e.kind = 'eligible' AND e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
),
bursts AS (
  SELECT 'medium' AS severity, 'actor' AS subject_type, actor_id AS subject_id, coalesce(any_value(actor_upn), actor_id) AS subject_name,
         max(n_all) || ' eligible adds (' || max(n_priv) || ' privileged) within 60 min' AS observed,
         '≤ ' || $eligible_adds_per_hour || ' (≤ ' || $eligible_adds_per_hour_privileged || ' privileged)' AS threshold,
         coalesce(any_value(actor_upn), actor_id) || ' made ' || max(n_all) || ' eligible assignments within an hour' AS detail,
         min(event_time) AS first_seen, max(event_time) AS last_seen
  FROM adds GROUP BY actor_id
  HAVING max(n_all) > $eligible_adds_per_hour::INTEGER OR max(n_priv) > $eligible_adds_per_hour_privileged::INTEGER
),
removals AS (
  SELECT e.actor_id, e.actor_upn, e.event_time,
         count(*) OVER (PARTITION BY e.actor_id ORDER BY e.event_time RANGE BETWEEN INTERVAL 60 MINUTES PRECEDING AND CURRENT ROW) AS n
  FROM int_pim_events e
  WHERE e.step IN ('removed', 'direct_remove') AND e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
),
bulk_removals AS (
  SELECT 'medium', 'actor', actor_id, coalesce(any_value(actor_upn), actor_id), max(n) || ' role removals within 60 min', '≤ ' || $eligible_adds_per_hour,
         coalesce(any_value(actor_upn), actor_id) || ' removed ' || max(n) || ' role assignments within an hour', min(event_time), max(event_time)
  FROM removals GROUP BY actor_id HAVING max(n) > $eligible_adds_per_hour::INTEGER
),
alerts_off AS (
  SELECT 'high', 'actor', actor_id, coalesce(actor_upn, actor_name, actor_id), activity, 'alerts enabled',
         coalesce(actor_upn, actor_name, 'someone') || ': ' || activity || coalesce(' (' || nullif(result_reason, '') || ')', ''), event_time, event_time
  FROM audit_events
  WHERE activity IN ('Disable PIM alert', 'Update PIM alert setting') AND service IN ('PIM', 'Privileged Identity Management')
    AND event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ
    AND (activity = 'Disable PIM alert' OR regexp_matches(lower(coalesce(result_reason, '')), 'disabled|turned off'))
),
local AS (
  SELECT a.*, timezone($business_time_zone, a.started_at) AS local_start FROM pim_activations a
  WHERE a.plane = 'entra_role' AND a.started_at >= $from::TIMESTAMPTZ AND a.started_at < $to::TIMESTAMPTZ
),
after_hours AS (
  SELECT 'low', 'principal', principal_id, coalesce(any_value(principal_upn), principal_id), count(*) || ' activation(s) outside business hours',
         $business_start_hour || ':00–' || $business_end_hour || ':00 ' || $business_time_zone || ' on business days',
         coalesce(any_value(principal_upn), principal_id) || ' activated ' || string_agg(DISTINCT role_name, ', ' ORDER BY role_name) || ' ' || count(*) || ' time(s) outside business hours',
         min(started_at), max(started_at)
  FROM local
  WHERE NOT list_contains(from_json($business_weekdays, '["INTEGER"]'), isodow(local_start))
     OR hour(local_start) + minute(local_start) / 60.0 < $business_start_hour::DOUBLE
     OR hour(local_start) + minute(local_start) / 60.0 >= $business_end_hour::DOUBLE
  GROUP BY principal_id
),
firsts AS (
  SELECT principal_id, principal_upn, role_id, role_name, min(started_at) AS first_at FROM pim_activations WHERE plane = 'entra_role' GROUP BY ALL
),
first_time AS (
  SELECT 'low', 'assignment', f.principal_id || '|' || f.role_id, coalesce(f.principal_upn, f.principal_id) || ' / ' || coalesce(f.role_name, f.role_id),
         'first activation', NULL, coalesce(f.principal_upn, f.principal_id) || ' used ' || coalesce(f.role_name, f.role_id) || ' for the first time the log shows', f.first_at, f.first_at
  FROM firsts f
  WHERE f.first_at >= $from::TIMESTAMPTZ AND f.first_at < $to::TIMESTAMPTZ
    -- "First" only when the log reaches back far enough to have seen an earlier one (30 days before).
    AND (SELECT min(event_time) FROM audit_events) <= f.first_at - INTERVAL 30 DAYS
    AND NOT EXISTS (SELECT 1 FROM role_assignments a WHERE a.principal_id = f.principal_id AND a.role_id = f.role_id AND a.kind = 'active' AND a.start_at < f.first_at)
)
SELECT 'check_security_operations' AS check_id, * FROM (
  SELECT * FROM bursts UNION ALL SELECT * FROM bulk_removals UNION ALL SELECT * FROM alerts_off UNION ALL SELECT * FROM after_hours UNION ALL SELECT * FROM first_time
)
ORDER BY severity, first_seen;
