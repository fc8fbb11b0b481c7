-- id: plane_scopes
-- title: Names of the groups and Azure scopes
-- description: What each PIM for Groups group, subscription and management group the snapshots named
--   was called in the newest snapshot at or before as-of (issue 23): the reports name scopes, not ids.
-- parameters:
--   as_of TIMESTAMPTZ: the moment to look at
-- columns:
--   plane: group or azure_resource
--   scope_id: the group id or ARM scope, lower-case
--   scope_name: its display name
--   scope_type: group, subscription or management_group
SELECT plane, scope_id, arg_max(scope_name, observed_at) AS scope_name, arg_max(scope_type, observed_at) AS scope_type
FROM pim_scopes WHERE observed_at <= $as_of::TIMESTAMPTZ
GROUP BY plane, scope_id
ORDER BY plane, scope_id;
