-- id: who_held_role_at
-- title: Who held a role at an instant
-- description: Everyone who held a role (active assignment or activation) at one moment, with how
--   they got it and, for an activation, who approved it and after how long.
-- parameters:
--   role VARCHAR: role name (case-insensitive) or template id
--   at TIMESTAMPTZ: the moment
-- columns:
--   principal_upn, principal_id, how: standing assignment (via PIM / outside PIM) or activation
--   since, until: the interval holding the moment
--   request_key, justification, approver_upn, wait_seconds: for activations
WITH r AS (SELECT lower($role) AS q)
SELECT a.principal_upn, a.principal_id,
       CASE WHEN a.via_pim THEN 'standing assignment via PIM' WHEN a.via_pim = false THEN 'standing assignment outside PIM' ELSE 'standing assignment' END AS how,
       a.start_at AS since, coalesce(a.removed_at, a.end_at) AS until,
       NULL AS request_key, NULL AS justification, NULL AS approver_upn, NULL::DOUBLE AS wait_seconds
FROM role_assignments a, r
WHERE a.kind = 'active' AND (lower(a.role_name) = r.q OR a.role_id = r.q) AND a.source = 'audit_replay'
  AND a.start_at <= $at::TIMESTAMPTZ AND coalesce(a.removed_at, a.end_at, 'infinity'::TIMESTAMPTZ) > $at::TIMESTAMPTZ
UNION ALL
SELECT x.principal_upn, x.principal_id, 'activation', x.started_at, coalesce(x.ended_at, x.scheduled_end),
       x.request_key, q.justification, q.approver_upn, (epoch_us(q.decided_at) - epoch_us(q.requested_at)) / 1e6
FROM pim_activations x JOIN pim_requests q USING (request_key), r
WHERE (lower(x.role_name) = r.q OR x.role_id = r.q)
  AND x.started_at <= $at::TIMESTAMPTZ AND coalesce(x.ended_at, x.scheduled_end, 'infinity'::TIMESTAMPTZ) > $at::TIMESTAMPTZ
ORDER BY since;
