-- id: check_too_frequent_activation
-- title: Role activated too frequently
-- description: PIM's "roles are being activated too frequently" alert: one person activating one
--   role at least the limit's number of times within the window.
-- severity: low
-- doc: docs/rules.md#too_frequent_activation
-- action: Ask the admin why the role is activated so often, and lengthen the activation if the work needs it.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   frequent_activations INTEGER: activations of one role by one person within the window
--   frequent_window_minutes DOUBLE: the window
-- thresholds:
--   frequent_activations: detections.frequentActivations (3)
--   frequent_window_minutes: detections.frequentWindowMinutes (60)
WITH seq AS (
  SELECT principal_id, principal_upn, role_id, role_name, started_at,
         count(*) OVER (PARTITION BY principal_id, role_id ORDER BY started_at RANGE BETWEEN to_minutes(CAST($frequent_window_minutes AS BIGINT)) PRECEDING AND CURRENT ROW) AS n
  FROM pim_activations WHERE started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ AND start_known
)
SELECT 'low' AS severity, 'assignment' AS subject_type, principal_id || '|' || role_id AS subject_id, coalesce(principal_upn, principal_id) || ' / ' || coalesce(role_name, role_id) AS subject_name,
       max(n) || ' activations within ' || $frequent_window_minutes || ' min' AS observed, '< ' || $frequent_activations AS threshold,
       coalesce(principal_upn, principal_id) || ' activated ' || coalesce(role_name, role_id) || ' ' || max(n) || ' times within ' || $frequent_window_minutes || ' minutes: a longer activation would do' AS detail,
       min(started_at) AS first_seen, max(started_at) AS last_seen
FROM seq WHERE n >= $frequent_activations::INTEGER GROUP BY principal_id, principal_upn, role_id, role_name
ORDER BY subject_name;
