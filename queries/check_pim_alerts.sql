-- id: check_pim_alerts
-- title: PIM's built-in alerts, from the logs
-- description: Parity with the Entra-role alerts PIM raises, with the same configurable thresholds:
--   administrators not using their privileged roles, potential stale accounts in a privileged role,
--   roles assigned outside PIM, too many Global Administrators, roles activated too frequently.
--   (Roles without MFA and tier-0 roles without approval: check_role_activation_requirements and
--   check_role_approval_design.)
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: for who holds what
--   unused_role_days DOUBLE: days without activating an eligible role
--   stale_sign_in_days DOUBLE: days without a sign-in for a privileged account
--   ga_count_threshold INTEGER: Global Administrators at or above which (with the share) the alert fires
--   ga_share_threshold DOUBLE: Global Administrators' share of all role holders
--   frequent_activations INTEGER: activations of one role by one person within the window
--   frequent_window_minutes DOUBLE: the window
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   unused_role_days: detections.unusedRoleDays (30)
--   stale_sign_in_days: detections.staleSignInDays (90)
--   ga_count_threshold: detections.globalAdminCountThreshold (5)
--   ga_share_threshold: detections.globalAdminShareThreshold (0.1)
--   frequent_activations: detections.frequentActivations (3)
--   frequent_window_minutes: detections.frequentWindowMinutes (60)
WITH held AS (
  SELECT * FROM role_assignments
  WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
    AND (source = 'audit_replay' AND NOT EXISTS (SELECT 1 FROM role_assignments s WHERE s.source = 'snapshot' AND s.observed_at <= $as_of::TIMESTAMPTZ)
         OR source = 'snapshot' AND observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))
),
unused AS (
  SELECT 'low' AS severity, 'assignment' AS subject_type, h.principal_id || '|' || h.role_id AS subject_id,
         coalesce(h.principal_upn, h.principal_id) || ' / ' || coalesce(h.role_name, h.role_id) AS subject_name,
         coalesce('last activated ' || strftime(max(a.started_at), '%Y-%m-%d'), 'never activated') AS observed, 'within ' || $unused_role_days || ' days' AS threshold,
         coalesce(h.principal_upn, h.principal_id) || ' is eligible for ' || coalesce(h.role_name, h.role_id) || ' and has not activated it in ' || $unused_role_days || ' days: remove the eligibility?' AS detail,
         min(h.start_at) AS first_seen, max(a.started_at) AS last_seen
  FROM held h LEFT JOIN pim_activations a ON a.principal_id = h.principal_id AND a.role_id = h.role_id AND a.started_at <= $as_of::TIMESTAMPTZ
  WHERE h.kind = 'eligible' AND coalesce(h.start_at, h.observed_at) <= $as_of::TIMESTAMPTZ - to_days(CAST($unused_role_days AS INTEGER))
  GROUP BY h.principal_id, h.principal_upn, h.role_id, h.role_name
  HAVING coalesce(max(a.started_at), '-infinity'::TIMESTAMPTZ) < $as_of::TIMESTAMPTZ - to_days(CAST($unused_role_days AS INTEGER))
),
stale AS (
  SELECT 'medium', 'account', u.user_id, coalesce(u.user_principal_name, u.user_id), coalesce('last sign-in ' || strftime(u.last_sign_in, '%Y-%m-%d'), 'no sign-in recorded'),
         'within ' || $stale_sign_in_days || ' days',
         coalesce(u.user_principal_name, u.user_id) || ' holds ' || string_agg(DISTINCT coalesce(h.role_name, h.role_id), ', ' ORDER BY coalesce(h.role_name, h.role_id)) || ' and has not signed in for ' || $stale_sign_in_days || '+ days',
         u.last_sign_in, u.last_sign_in
  FROM held h JOIN (SELECT user_id, arg_max(user_principal_name, observed_at) AS user_principal_name, arg_max(last_sign_in, observed_at) AS last_sign_in
                    FROM directory_users WHERE observed_at <= $as_of::TIMESTAMPTZ GROUP BY user_id) u ON u.user_id = h.principal_id
  JOIN roles r ON r.role_id = h.role_id AND r.privileged
  WHERE u.last_sign_in IS NULL OR u.last_sign_in < $as_of::TIMESTAMPTZ - to_days(CAST($stale_sign_in_days AS INTEGER))
  GROUP BY u.user_id, u.user_principal_name, u.last_sign_in
),
outside AS (
  SELECT 'high', 'assignment', principal_id || '|' || role_id, coalesce(principal_upn, principal_id) || ' / ' || coalesce(role_name, role_id), 'assigned outside PIM', 'through PIM',
         coalesce(principal_upn, principal_id) || ' was given ' || coalesce(role_name, role_id) || ' outside PIM' || coalesce(' by ' || any_value(actor_upn) FILTER (WHERE step = 'direct_add'), ''),
         min(event_time), max(event_time)
  FROM int_pim_events WHERE step IN ('direct_add', 'outside_pim') AND event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ
  GROUP BY principal_id, principal_upn, role_id, role_name
),
ga AS (
  SELECT count(DISTINCT principal_id) FILTER (WHERE role_id = '62e90394-69f5-4237-9190-012177145e10') AS ga, count(DISTINCT principal_id) AS holders FROM held
),
too_many AS (
  SELECT 'low', 'tenant', 'global-administrators', 'Global Administrators', ga || ' of ' || holders || ' role holders (' || round(100.0 * ga / holders, 1) || '%)',
         '< ' || $ga_count_threshold || ' or < ' || round(100 * $ga_share_threshold, 1) || '%',
         ga || ' principals hold Global Administrator (' || round(100.0 * ga / holders, 1) || '% of everyone holding a role): use least-privileged roles', NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ
  FROM ga WHERE holders > 0 AND ga >= $ga_count_threshold::INTEGER AND ga::DOUBLE / holders >= $ga_share_threshold::DOUBLE
),
seq AS (
  SELECT principal_id, principal_upn, role_id, role_name, started_at,
         count(*) OVER (PARTITION BY principal_id, role_id ORDER BY started_at RANGE BETWEEN to_minutes(CAST($frequent_window_minutes AS BIGINT)) PRECEDING AND CURRENT ROW) AS n
  FROM pim_activations WHERE started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ
),
frequent AS (
  SELECT 'low', 'assignment', principal_id || '|' || role_id, coalesce(principal_upn, principal_id) || ' / ' || coalesce(role_name, role_id), max(n) || ' activations within ' || $frequent_window_minutes || ' min',
         '< ' || $frequent_activations, coalesce(principal_upn, principal_id) || ' activated ' || coalesce(role_name, role_id) || ' ' || max(n) || ' times within ' || $frequent_window_minutes || ' minutes: a longer activation would do',
         min(started_at), max(started_at)
  FROM seq WHERE n >= $frequent_activations::INTEGER GROUP BY principal_id, principal_upn, role_id, role_name
)
SELECT 'check_pim_alerts' AS check_id, * FROM (
  SELECT * FROM unused UNION ALL SELECT * FROM stale UNION ALL SELECT * FROM outside UNION ALL SELECT * FROM too_many UNION ALL SELECT * FROM frequent
)
ORDER BY severity, subject_name;
