-- id: check_unused_eligibility
-- title: Eligible role not used
-- description: PIM's "administrators aren't using their privileged roles" alert, from the logs: an
--   eligibility held at as-of, older than the limit, that has not been activated within it.
-- severity: low
-- doc: docs/rules.md#unused_eligibility
-- action: Remove the eligibility the admin has not used.
-- parameters:
--   as_of TIMESTAMPTZ: for who holds what
--   unused_role_days DOUBLE: days without activating an eligible role
-- thresholds:
--   unused_role_days: detections.unusedRoleDays (30)
WITH held AS (
  SELECT * FROM role_assignments
  WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
    AND (source = 'audit_replay' AND NOT EXISTS (SELECT 1 FROM role_assignments s WHERE s.source = 'snapshot' AND s.observed_at <= $as_of::TIMESTAMPTZ)
         OR source = 'snapshot' AND observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))
)
SELECT 'low' AS severity, 'assignment' AS subject_type, h.principal_id || '|' || h.role_id AS subject_id,
       coalesce(h.principal_upn, h.principal_id) || ' / ' || coalesce(h.role_name, h.role_id) AS subject_name,
       coalesce('last activated ' || strftime(max(a.started_at), '%Y-%m-%d'), 'never activated') AS observed, 'within ' || $unused_role_days || ' days' AS threshold,
       coalesce(h.principal_upn, h.principal_id) || ' is eligible for ' || coalesce(h.role_name, h.role_id) || ' and has not activated it in ' || $unused_role_days || ' days: remove the eligibility?' AS detail,
       min(h.start_at) AS first_seen, max(a.started_at) AS last_seen
FROM held h LEFT JOIN pim_activations a ON a.principal_id = h.principal_id AND a.role_id = h.role_id AND a.started_at <= $as_of::TIMESTAMPTZ
WHERE h.kind = 'eligible' AND coalesce(h.start_at, h.observed_at) <= $as_of::TIMESTAMPTZ - to_days(CAST($unused_role_days AS INTEGER))
GROUP BY h.principal_id, h.principal_upn, h.role_id, h.role_name
HAVING coalesce(max(a.started_at), '-infinity'::TIMESTAMPTZ) < $as_of::TIMESTAMPTZ - to_days(CAST($unused_role_days AS INTEGER))
ORDER BY subject_name;
