-- id: check_eligible_assignment_burst
-- title: Burst of eligible assignments
-- description: From Microsoft's security-operations guide for PIM: one actor making more eligible
--   assignments within 60 minutes than the limit (a lower limit for privileged roles).
-- severity: medium
-- doc: docs/rules.md#eligible_assignment_burst
-- action: Confirm the burst of eligible assignments was planned, and remove the ones that were not.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   eligible_adds_per_hour INTEGER: eligible assignments by one actor in 60 minutes above which it is a burst
--   eligible_adds_per_hour_privileged INTEGER: the same for privileged roles
-- thresholds:
--   eligible_adds_per_hour: detections.eligibleAddsPerHour (4)
--   eligible_adds_per_hour_privileged: detections.eligibleAddsPerHourPrivileged (2)
WITH adds AS (
  SELECT e.*, coalesce(r.privileged, false) AS privileged,
         count(*) OVER (PARTITION BY e.actor_id ORDER BY e.event_time RANGE BETWEEN INTERVAL 60 MINUTES PRECEDING AND CURRENT ROW) AS n_all,
         count(*) FILTER (WHERE coalesce(r.privileged, false)) OVER (PARTITION BY e.actor_id ORDER BY e.event_time RANGE BETWEEN INTERVAL 60 MINUTES PRECEDING AND CURRENT ROW) AS n_priv
  FROM int_pim_events e LEFT JOIN roles r USING (role_id)
  WHERE e.step = 'assigned' AND e.kind = 'eligible' AND e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
)
SELECT 'medium' AS severity, 'actor' AS subject_type, actor_id AS subject_id, coalesce(any_value(actor_upn), actor_id) AS subject_name,
       max(n_all) || ' eligible adds (' || max(n_priv) || ' privileged) within 60 min' AS observed,
       '≤ ' || $eligible_adds_per_hour || ' (≤ ' || $eligible_adds_per_hour_privileged || ' privileged)' AS threshold,
       coalesce(any_value(actor_upn), actor_id) || ' made ' || max(n_all) || ' eligible assignments within an hour' AS detail,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM adds GROUP BY actor_id
HAVING max(n_all) > $eligible_adds_per_hour::INTEGER OR max(n_priv) > $eligible_adds_per_hour_privileged::INTEGER
ORDER BY first_seen;
