-- fragment: access_review_coverage
-- Included by the access-review checks (`-- include: access_review_coverage`): the privileged roles in use
-- at $as_of, the review definitions of the newest snapshot at or before it, and which role each covers.
-- Uses $as_of, $tier0_roles and $tier0_azure_roles; ends with the CTE `covered`, so the including query
-- continues with `, name AS (`. The other PIM planes (issue 23) take part through their tier-0 subjects:
-- an Azure tier-0 role at a subscription or management group, a group that holds a tier-0 Entra role.
-- Their role_id is the subject (plane:scope:role) the role-settings rules use; a review covers one when
-- its scope names the group, or the scope's last segment and the role.
WITH snap AS (SELECT max(observed_at) AS snap_at FROM access_review_definitions WHERE observed_at <= $as_of::TIMESTAMPTZ),
extra AS (SELECT lower(unnest($tier0_roles::VARCHAR[])) AS r),
held AS (
  SELECT * FROM role_assignments WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ
    AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
),
entra_privileged AS (
  -- Roles that are privileged and in use here (eligible or active at as-of).
  SELECT ro.role_id, ro.role_name, ro.tier0 OR ro.role_id IN (SELECT r FROM extra) OR lower(ro.role_name) IN (SELECT r FROM extra) AS tier0
  FROM roles ro
  WHERE (ro.privileged OR ro.role_id IN (SELECT role_id FROM role_definitions WHERE is_privileged))
    AND ro.role_id IN (SELECT role_id FROM held)
),
tier0_groups AS (
  SELECT DISTINCT principal_id AS group_id FROM held
  WHERE plane = 'entra_role' AND principal_type = 'group' AND role_id IN (SELECT role_id FROM entra_privileged WHERE tier0)
),
scope_names AS (SELECT scope_id, arg_max(scope_name, observed_at) AS scope_name FROM pim_scopes GROUP BY scope_id),
other_privileged AS (
  SELECT DISTINCT h.plane || ':' || h.scope_id || ':' || h.role_id AS role_id,
    CASE h.plane WHEN 'group' THEN upper(left(h.role_id, 1)) || substr(h.role_id, 2) || ' of ' ELSE coalesce(h.role_name, h.role_id) || ' at ' END
      || coalesce(n.scope_name, h.scope_id) AS role_name,
    true AS tier0, h.plane, h.scope_id, h.role_id AS plane_role_id
  FROM held h LEFT JOIN scope_names n USING (scope_id)
  WHERE h.plane = 'azure_resource' AND h.role_id IN (SELECT lower(unnest($tier0_azure_roles::VARCHAR[])))
        AND azure_scope_level(h.scope_id) IN ('subscription', 'management_group')
     OR h.plane = 'group' AND h.scope_id IN (SELECT group_id FROM tier0_groups)
),
privileged AS (
  SELECT role_id, role_name, tier0, 'entra_role' AS plane, '/' AS scope_id, role_id AS plane_role_id FROM entra_privileged
  UNION ALL SELECT * FROM other_privileged
),
defs AS (
  SELECT d.*,
    TRY_CAST(d.settings ->> '$.recurrence.pattern.interval' AS DOUBLE) AS every,
    d.settings ->> '$.recurrence.pattern.type' AS pattern,
    coalesce(d.settings ->> 'defaultDecision', 'None') AS default_decision,
    coalesce(TRY_CAST(d.settings ->> 'autoApplyDecisionsEnabled' AS BOOLEAN), false) AS auto_apply
  FROM access_review_definitions d JOIN snap ON d.observed_at = snap.snap_at
),
covered AS (
  SELECT p.*, d.review_id, d.display_name, d.every, d.pattern, d.default_decision, d.auto_apply, d.observed_at,
    CASE WHEN d.pattern ILIKE '%monthly%' THEN d.every WHEN d.pattern ILIKE '%weekly%' THEN d.every / 4.3 WHEN d.pattern ILIKE '%daily%' THEN d.every / 30 ELSE NULL END AS months
  FROM privileged p LEFT JOIN defs d ON CASE p.plane
    WHEN 'entra_role' THEN CAST(d.scope AS VARCHAR) ILIKE '%' || p.role_id || '%'
    WHEN 'group' THEN CAST(d.scope AS VARCHAR) ILIKE '%' || p.scope_id || '%'
    ELSE CAST(d.scope AS VARCHAR) ILIKE '%' || regexp_extract(p.scope_id, '([^/]+)/?$', 1) || '%'
         AND CAST(d.scope AS VARCHAR) ILIKE '%' || p.plane_role_id || '%' END
)
