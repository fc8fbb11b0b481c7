-- id: check_pim_alert_disabled
-- title: PIM alert disabled
-- description: From Microsoft's security-operations guide for PIM: someone disabling a PIM alert
--   (or changing its setting to off) in the period.
-- severity: high
-- doc: docs/rules.md#pim_alert_disabled
-- action: Turn the PIM alert back on, or record why it is off as an exception.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
SELECT 'high' AS severity, 'actor' AS subject_type, actor_id AS subject_id, coalesce(actor_upn, actor_name, actor_id) AS subject_name, activity AS observed, 'alerts enabled' AS threshold,
       coalesce(actor_upn, actor_name, 'someone') || ': ' || activity || coalesce(' (' || nullif(result_reason, '') || ')', '') AS detail, event_time AS first_seen, event_time AS last_seen
FROM audit_events
WHERE activity IN ('Disable PIM alert', 'Update PIM alert setting') AND service IN ('PIM', 'Privileged Identity Management')
  AND event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ
  AND (activity = 'Disable PIM alert' OR regexp_matches(lower(coalesce(result_reason, '')), 'disabled|turned off'))
ORDER BY first_seen;
