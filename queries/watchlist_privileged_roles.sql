-- id: watchlist_privileged_roles
-- title: Privileged roles (Sentinel watchlist)
-- description: The roles pimops treats as privileged or tier 0: the shipped built-in list, roles a
--   snapshot marks privileged, and the configured extra tier-0 roles, for analytics rules that
--   should fire on them. SearchKey is the role template id.
-- parameters:
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
-- columns:
--   role_id, role_name
--   privileged: Microsoft labels it privileged (or it is tier 0)
--   tier0: the shipped tier-0 list or checks.tier0Roles
-- thresholds:
--   tier0_roles: checks.tier0Roles
WITH extra AS (SELECT lower(unnest($tier0_roles::VARCHAR[])) AS r),
defs AS (
  SELECT role_id, arg_max(role_name, observed_at) AS role_name, bool_or(is_privileged) AS is_privileged
  FROM role_definitions GROUP BY role_id
),
named AS (
  SELECT coalesce(ro.role_id, d.role_id) AS role_id, coalesce(ro.role_name, d.role_name) AS role_name,
         coalesce(ro.privileged, false) OR coalesce(d.is_privileged, false) AS privileged, coalesce(ro.tier0, false) AS tier0
  FROM roles ro FULL OUTER JOIN defs d USING (role_id)
)
SELECT role_id, role_name,
       privileged OR tier0 OR role_id IN (SELECT r FROM extra) OR lower(role_name) IN (SELECT r FROM extra) AS privileged,
       tier0 OR role_id IN (SELECT r FROM extra) OR lower(role_name) IN (SELECT r FROM extra) AS tier0
FROM named
WHERE privileged OR tier0 OR role_id IN (SELECT r FROM extra) OR lower(role_name) IN (SELECT r FROM extra)
ORDER BY tier0 DESC, role_name;
