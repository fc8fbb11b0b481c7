-- id: check_first_role_use
-- title: First use of a role
-- description: From Microsoft's security-operations guide for PIM: the first time someone activates
--   an Entra role, when the log reaches back far enough (30 days) to have seen an earlier one.
-- severity: low
-- doc: docs/rules.md#first_role_use
-- action: Confirm the admin meant to use the role for the first time.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
WITH firsts AS (
  SELECT principal_id, principal_upn, role_id, role_name, min(started_at) AS first_at FROM pim_activations WHERE plane = 'entra_role' GROUP BY ALL
)
SELECT 'low' AS severity, 'assignment' AS subject_type, f.principal_id || '|' || f.role_id AS subject_id, coalesce(f.principal_upn, f.principal_id) || ' / ' || coalesce(f.role_name, f.role_id) AS subject_name,
       'first activation' AS observed, NULL AS threshold,
       coalesce(f.principal_upn, f.principal_id) || ' used ' || coalesce(f.role_name, f.role_id) || ' for the first time the log shows' AS detail, f.first_at AS first_seen, f.first_at AS last_seen
FROM firsts f
WHERE f.first_at >= $from::TIMESTAMPTZ AND f.first_at < $to::TIMESTAMPTZ
  -- "First" only when the log reaches back far enough to have seen an earlier one (30 days before).
  AND (SELECT min(event_time) FROM audit_events) <= f.first_at - INTERVAL 30 DAYS
  AND NOT EXISTS (SELECT 1 FROM role_assignments a WHERE a.principal_id = f.principal_id AND a.role_id = f.role_id AND a.kind = 'active' AND a.start_at < f.first_at)
ORDER BY first_seen;
