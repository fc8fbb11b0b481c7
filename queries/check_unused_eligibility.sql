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
-- Each plane from its own newest snapshot, else audit replay. An Entra role is used by any activation of
-- it; a group membership or an Azure role only by an activation at the same group or scope.
WITH snap AS (
  SELECT plane, max(observed_at) AS at FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ GROUP BY plane
),
held AS (
  SELECT r.* FROM role_assignments r LEFT JOIN snap ON snap.plane = r.plane
  WHERE coalesce(r.start_at, r.observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(r.removed_at, r.end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
    AND (r.source = 'audit_replay' AND snap.at IS NULL OR r.source = 'snapshot' AND r.observed_at = snap.at)
)
SELECT 'low' AS severity, 'assignment' AS subject_type,
       h.principal_id || '|' || CASE h.plane WHEN 'entra_role' THEN h.role_id ELSE h.plane || ':' || h.scope_id || ':' || h.role_id END AS subject_id,
       coalesce(h.principal_upn, h.principal_id) || ' / ' || coalesce(h.role_name, h.role_id)
         || CASE h.plane WHEN 'entra_role' THEN '' ELSE ' at ' || coalesce((SELECT arg_max(s.scope_name, s.observed_at) FROM pim_scopes s WHERE s.scope_id = h.scope_id), h.scope_id) END AS subject_name,
       coalesce('last activated ' || strftime(max(a.started_at), '%Y-%m-%d'), 'never activated') AS observed, 'within ' || $unused_role_days || ' days' AS threshold,
       coalesce(h.principal_upn, h.principal_id) || ' is eligible for ' || coalesce(h.role_name, h.role_id) || ' and has not activated it in ' || $unused_role_days || ' days: remove the eligibility?' AS detail,
       min(h.start_at) AS first_seen, max(a.started_at) AS last_seen
FROM held h LEFT JOIN pim_activations a ON a.principal_id = h.principal_id AND a.role_id = h.role_id AND a.started_at <= $as_of::TIMESTAMPTZ
  AND (h.plane = 'entra_role' OR a.plane = h.plane AND a.scope_id = h.scope_id)
WHERE h.kind = 'eligible' AND coalesce(h.start_at, h.observed_at) <= $as_of::TIMESTAMPTZ - to_days(CAST($unused_role_days AS INTEGER))
GROUP BY h.plane, h.scope_id, h.principal_id, h.principal_upn, h.role_id, h.role_name
HAVING coalesce(max(a.started_at), '-infinity'::TIMESTAMPTZ) < $as_of::TIMESTAMPTZ - to_days(CAST($unused_role_days AS INTEGER))
ORDER BY subject_name;
