-- id: review_denials_not_applied
-- title: Access-review denials not applied
-- description: "Deny" decisions of access reviews of roles (newest decision snapshot at or before as-of)
--   whose assignment is still held at as-of, and was held before the decision: the reviewer said remove
--   it and nobody (neither auto-apply nor a person) did. The role is the one the review definition's
--   scope names.
-- parameters:
--   as_of TIMESTAMPTZ: the moment the assignments are read at
-- columns:
--   review: the review definition's name
--   principal_id, principal: whose access was denied
--   role: the role the review covers that they still hold
--   kind: eligible or active
--   reviewed_by, reviewed_at: who denied it and when
--   days_since: days from the decision to as-of
--   apply_result: what the review says about applying it
WITH snap AS (SELECT max(observed_at) AS at FROM access_review_decisions WHERE observed_at <= $as_of::TIMESTAMPTZ),
defs AS (
  SELECT review_id, arg_max(display_name, observed_at) AS display_name, arg_max(CAST(scope AS VARCHAR), observed_at) AS scope
  FROM access_review_definitions WHERE observed_at <= $as_of::TIMESTAMPTZ GROUP BY review_id
),
denied AS (
  SELECT d.* FROM access_review_decisions d JOIN snap ON d.observed_at = snap.at
  WHERE d.decision = 'Deny' AND d.reviewed_at <= $as_of::TIMESTAMPTZ
)
SELECT DISTINCT coalesce(f.display_name, d.definition_id) AS review, d.principal_id, coalesce(d.principal_upn, a.principal_upn, d.principal_id) AS principal,
       coalesce(a.role_name, a.role_id) AS role, a.kind, d.reviewed_by, d.reviewed_at,
       round((epoch($as_of::TIMESTAMPTZ) - epoch(d.reviewed_at)) / 86400, 1) AS days_since, d.apply_result
FROM denied d
JOIN defs f ON f.review_id = d.definition_id
JOIN role_assignments a ON a.principal_id = d.principal_id AND f.scope ILIKE '%' || a.role_id || '%'
WHERE coalesce(a.start_at, a.observed_at) < d.reviewed_at
  AND coalesce(a.removed_at, a.end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
  AND (a.source <> 'snapshot' OR a.observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))
ORDER BY d.reviewed_at, principal, role
