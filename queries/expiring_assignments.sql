-- id: expiring_assignments
-- title: Assignments that expire soon
-- description: Eligible and active role assignments held at as-of whose scheduled end falls within
--   the coming days: whoever holds them loses the role unless someone extends or renews it. Where a
--   snapshot and the audit replay both hold an assignment, the newest observation's end counts.
-- parameters:
--   as_of TIMESTAMPTZ: the moment the assignments are read at
--   expiring_days DOUBLE: how many days ahead count as soon
-- columns:
--   plane: entra_role, group or azure_resource
--   principal_id, principal: who holds it (UPN when known)
--   role_id, role: the role
--   scope_id: where
--   kind: eligible or active
--   end_at: its scheduled end (UTC)
--   days_left: days from as-of to the end
-- thresholds:
--   expiring_days: report.expiringDays (30)
WITH held AS (
  SELECT plane, principal_id, any_value(principal_upn) AS principal_upn, role_id, any_value(role_name) AS role_name, scope_id, kind,
         arg_max(end_at, coalesce(observed_at, start_at)) AS end_at
  FROM role_assignments
  WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(removed_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
  GROUP BY plane, principal_id, role_id, scope_id, kind
)
SELECT plane, principal_id, coalesce(principal_upn, principal_id) AS principal, role_id, coalesce(role_name, role_id) AS role, scope_id, kind, end_at,
       round((epoch(end_at) - epoch($as_of::TIMESTAMPTZ)) / 86400, 1) AS days_left
FROM held
WHERE end_at > $as_of::TIMESTAMPTZ AND end_at <= $as_of::TIMESTAMPTZ + to_seconds(CAST($expiring_days * 86400 AS BIGINT))
ORDER BY end_at, principal, role
