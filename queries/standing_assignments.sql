-- id: standing_assignments
-- title: Standing assignments
-- description: Active (not eligible) assignments with no end date at the as-of time: from the
--   newest state snapshot at or before it when there is one, else from audit replay (which cannot
--   see assignments made before the oldest record; see audit_coverage). Break-glass accounts and
--   service principals are marked: the target is zero beside them. A role held through a
--   role-assignable group is listed once per member who holds it (the person, with the group named),
--   and the group's own row only when no member of it is known (audit replay never sees members):
--   one assignment is counted once, under the person and the role.
-- parameters:
--   as_of TIMESTAMPTZ: the moment to look at
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
-- columns:
--   plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id
--   since: when the assignment began (as far as the basis can tell)
--   via_pim: assigned through PIM (false: directly in the directory, outside PIM; NULL: unknown)
--   break_glass: the principal is a configured break-glass account
--   basis: snapshot or audit_replay
--   via_group_id, via_group_name: the role-assignable group the principal holds the role through
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
-- Each plane from its own newest snapshot (Entra roles, PIM for Groups and Azure resources are pulled
-- by different APIs and may be observed apart), else from audit replay.
WITH snap AS (
  SELECT plane, max(observed_at) AS at FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ GROUP BY plane
),
chosen AS (
  SELECT r.*, 'snapshot' AS basis FROM role_assignments r JOIN snap ON r.source = 'snapshot' AND r.plane = snap.plane AND r.observed_at = snap.at
  UNION ALL
  SELECT r.*, 'audit_replay' AS basis FROM role_assignments r
  WHERE r.source = 'audit_replay' AND r.plane NOT IN (SELECT plane FROM snap)
    AND r.start_at <= $as_of::TIMESTAMPTZ AND (r.removed_at IS NULL OR r.removed_at > $as_of::TIMESTAMPTZ)
),
bg AS (
  SELECT lower(unnest($break_glass_accounts::VARCHAR[])) AS account
)
SELECT plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
       start_at AS since,
       -- A snapshot cannot tell how an assignment was made; the audit log can, when it saw it happen.
       coalesce(via_pim, (SELECT bool_or(x.via_pim) FROM role_assignments x WHERE x.source = 'audit_replay' AND x.kind = 'active'
                           AND x.principal_id IN (chosen.principal_id, chosen.via_group_id) AND x.role_id = chosen.role_id)) AS via_pim,
       (principal_id IN (SELECT account FROM bg) OR coalesce(lower(principal_upn) IN (SELECT account FROM bg), false)) AS break_glass,
       basis, via_group_id, via_group_name
FROM chosen
WHERE kind = 'active' AND end_at IS NULL AND coalesce(is_permanent, true)
  -- The group itself, when the people holding the role through it are listed.
  AND NOT (principal_type = 'group' AND EXISTS (
    SELECT 1 FROM chosen m WHERE m.via_group_id = chosen.principal_id AND m.plane = chosen.plane AND m.role_id = chosen.role_id
      AND m.scope_id = chosen.scope_id AND m.kind = 'active' AND m.end_at IS NULL AND coalesce(m.is_permanent, true)))
ORDER BY plane, principal_id, role_id;
