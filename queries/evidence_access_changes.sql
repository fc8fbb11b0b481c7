-- id: evidence_access_changes
-- title: Privileged access changes in a period
-- description: Every eligible or active assignment that began, was removed, or reached its
--   scheduled end in [from, to), from audit replay, with who made the change (the audit record
--   that started or removed it). Activations are not assignments: they are in evidence_activations.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   at: when the change happened
--   change: added, removed or expired (scheduled end reached without a removal)
--   kind: eligible or active
--   plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, member_type
--   scheduled_end: NULL = permanent
--   via_pim: assigned through PIM (false: outside PIM; NULL: unknown)
--   actor_upn, actor_name: who made it, when the audit record says (added: the record that started it)
--   source_event_id: that record
WITH r AS (SELECT * FROM role_assignments WHERE source = 'audit_replay'),
changes AS (
  SELECT start_at AS at, 'added' AS change, r.* FROM r WHERE start_at >= $from::TIMESTAMPTZ AND start_at < $to::TIMESTAMPTZ
  UNION ALL
  SELECT removed_at, 'removed', r.* FROM r WHERE removed_at >= $from::TIMESTAMPTZ AND removed_at < $to::TIMESTAMPTZ
  UNION ALL
  SELECT end_at, 'expired', r.* FROM r
  WHERE removed_at IS NULL AND end_at >= $from::TIMESTAMPTZ AND end_at < $to::TIMESTAMPTZ
)
SELECT c.at, c.change, c.kind, c.plane, c.principal_id, c.principal_upn, c.principal_type, c.role_id, c.role_name, c.scope_id,
       c.member_type, c.end_at AS scheduled_end, c.via_pim,
       CASE WHEN c.change = 'added' THEN e.actor_upn END AS actor_upn,
       CASE WHEN c.change = 'added' THEN e.actor_name END AS actor_name,
       c.source_event_id
FROM changes c LEFT JOIN audit_events e ON e.event_id = c.source_event_id
ORDER BY c.at, c.change, c.role_name, c.principal_upn, c.principal_id, c.source_event_id;
