-- id: evidence_access_at
-- title: Privileged access held at an instant
-- description: Every eligible and active role assignment in force at one moment (the evidence
--   pack reads it at the start and the end of the quarter): from the newest state snapshot at or
--   before it when there is one, else from audit replay (which cannot see assignments made before
--   the oldest record). Activations are not assignments: they are in evidence_activations.
-- parameters:
--   as_of TIMESTAMPTZ: the moment
-- columns:
--   kind: eligible or active
--   plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, member_type
--   since: when the assignment began (as far as the basis can tell)
--   scheduled_end: NULL = permanent
--   via_pim: assigned through PIM (false: outside PIM; NULL: unknown)
--   basis: snapshot or audit_replay
--   basis_at: the snapshot's time (NULL for audit replay)
WITH snap AS (
  SELECT max(observed_at) AS at FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ
),
chosen AS (
  SELECT r.*, 'snapshot' AS basis, snap.at AS basis_at FROM role_assignments r JOIN snap ON r.source = 'snapshot' AND r.observed_at = snap.at
  WHERE coalesce(r.end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
  UNION ALL
  SELECT r.*, 'audit_replay' AS basis, NULL::TIMESTAMPTZ AS basis_at FROM role_assignments r, snap
  WHERE snap.at IS NULL AND r.source = 'audit_replay'
    AND r.start_at <= $as_of::TIMESTAMPTZ AND coalesce(r.removed_at, r.end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
)
SELECT kind, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, member_type,
       start_at AS since, end_at AS scheduled_end,
       -- A snapshot cannot tell how an assignment was made; the audit log can, when it saw it happen.
       coalesce(via_pim, (SELECT bool_or(x.via_pim) FROM role_assignments x WHERE x.source = 'audit_replay' AND x.kind = chosen.kind
                           AND x.principal_id = chosen.principal_id AND x.role_id = chosen.role_id)) AS via_pim,
       basis, basis_at
FROM chosen
ORDER BY kind, role_name, principal_upn, principal_id, scope_id, since;
