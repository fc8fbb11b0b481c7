-- id: check_bulk_role_removal
-- title: Bulk role removals
-- description: From Microsoft's security-operations guide for PIM: one actor removing more role
--   assignments within 60 minutes than the eligible-assignment burst limit.
-- severity: medium
-- doc: docs/rules.md#bulk_role_removal
-- action: Confirm the bulk removal was planned, and restore the assignments if not.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   eligible_adds_per_hour INTEGER: removals by one actor in 60 minutes above which it is a burst
-- thresholds:
--   eligible_adds_per_hour: detections.eligibleAddsPerHour (4)
WITH removals AS (
  SELECT e.actor_id, e.actor_upn, e.event_time,
         count(*) OVER (PARTITION BY e.actor_id ORDER BY e.event_time RANGE BETWEEN INTERVAL 60 MINUTES PRECEDING AND CURRENT ROW) AS n
  FROM int_pim_events e
  WHERE e.step IN ('removed', 'direct_remove') AND e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
)
SELECT 'medium' AS severity, 'actor' AS subject_type, actor_id AS subject_id, coalesce(any_value(actor_upn), actor_id) AS subject_name,
       max(n) || ' role removals within 60 min' AS observed, '≤ ' || $eligible_adds_per_hour AS threshold,
       coalesce(any_value(actor_upn), actor_id) || ' removed ' || max(n) || ' role assignments within an hour' AS detail, min(event_time) AS first_seen, max(event_time) AS last_seen
FROM removals GROUP BY actor_id HAVING max(n) > $eligible_adds_per_hour::INTEGER
ORDER BY first_seen;
