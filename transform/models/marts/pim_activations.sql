-- pim_activations: one row per activation window. An end is matched to its activation by request
-- key when the end record carries the activation's key (expiry does), else by time: the latest
-- activation of the same (tenant, plane, principal, role, scope) that started at or before it (PIM does
-- not allow two overlapping activations of one role). The first end wins.
-- An end that matches no activation (the activation began before the data did) is never dropped:
-- its start is the newest snapshot instance listing it at or before the end, else unknown
-- (start_known = false) and the coverage start, the earliest event held for its tenant and source
-- kind (Graph pull, Log Analytics, file import), stands in as a lower bound. Such a row has no activated_at: no request, no activation record.
WITH act AS (
  SELECT request_key, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
         event_time AS activated_at, coalesce(start_time, event_time) AS started_at, expiration_time AS scheduled_end,
         via_group_id, via_group_name, tenant_id
  FROM int_pim_events WHERE step = 'activated'
  QUALIFY row_number() OVER (PARTITION BY tenant_id, request_key ORDER BY event_time, event_id) = 1
),
ends AS (
  SELECT event_id, event_time, step, request_key, keyed, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
         tenant_id, source_kind, via_group_id, via_group_name
  FROM int_pim_events WHERE step IN ('deactivated', 'expired')
),
by_key AS (
  SELECT e.event_id, e.event_time, e.step, e.via_group_id, e.via_group_name, a.request_key AS activation_key, e.tenant_id
  FROM ends e JOIN act a ON a.request_key = e.request_key AND a.tenant_id IS NOT DISTINCT FROM e.tenant_id AND e.event_time >= a.started_at
),
by_time AS (
  SELECT e.event_id, e.event_time, e.step, e.via_group_id, e.via_group_name, a.request_key AS activation_key, e.tenant_id
  FROM (SELECT * FROM ends e WHERE NOT EXISTS (SELECT 1 FROM by_key k WHERE k.event_id = e.event_id AND k.tenant_id IS NOT DISTINCT FROM e.tenant_id)) e
  ASOF JOIN act a
    ON e.tenant_id IS NOT DISTINCT FROM a.tenant_id AND e.plane = a.plane AND e.principal_id = a.principal_id AND e.role_id = a.role_id AND e.scope_id = a.scope_id
   AND e.event_time >= a.started_at
),
first_end AS (
  SELECT tenant_id, activation_key, min(event_time) AS ended_at, arg_min(step, event_time) AS end_step,
         arg_min(via_group_id, event_time) FILTER (WHERE via_group_id IS NOT NULL) AS via_group_id,
         arg_min(via_group_name, event_time) FILTER (WHERE via_group_id IS NOT NULL) AS via_group_name
  FROM (SELECT * FROM by_key UNION ALL SELECT * FROM by_time)
  GROUP BY tenant_id, activation_key
),
-- Ends of activations the data does not hold. An expiry carrying the activation's key stands for that
-- key (the first end of it wins); any other end for itself.
orphan AS (
  SELECT CASE WHEN e.keyed AND e.step = 'expired' THEN e.request_key ELSE 'end:' || e.event_id END AS request_key, e.*
  FROM (SELECT * FROM ends n WHERE NOT EXISTS (SELECT 1 FROM (SELECT tenant_id, event_id FROM by_key UNION ALL SELECT tenant_id, event_id FROM by_time) m
                                               WHERE m.event_id = n.event_id AND m.tenant_id IS NOT DISTINCT FROM n.tenant_id)) e
  QUALIFY row_number() OVER (PARTITION BY e.tenant_id, CASE WHEN e.keyed AND e.step = 'expired' THEN e.request_key ELSE 'end:' || e.event_id END
                             ORDER BY e.event_time, e.event_id) = 1
),
-- The newest snapshot at or before the end that saw this role active for this principal.
snapshot_start AS (
  SELECT o.tenant_id, o.event_id, arg_max(s.start_at, s.observed_at) AS start_at
  FROM orphan o JOIN activation_instances s
    ON s.principal_id = o.principal_id AND s.role_id = o.role_id AND coalesce(s.scope_id, '/') = o.scope_id
   AND s.observed_at <= o.event_time AND s.start_at <= s.observed_at AND coalesce(s.end_at, 'infinity'::TIMESTAMPTZ) >= s.observed_at
  GROUP BY o.tenant_id, o.event_id
),
-- An event whose tenant is unknown (a Graph record without tid, imported from a file) may be any
-- tenant's: it counts for every tenant's coverage, and a tenant-less end takes the earliest of all.
coverage AS (
  SELECT o.tenant_id, o.event_id, min(c.coverage_start) AS coverage_start
  FROM orphan o JOIN coverage_starts c ON c.source_kind = o.source_kind
   AND (c.tenant_id IS NOT DISTINCT FROM o.tenant_id OR c.tenant_id IS NULL OR o.tenant_id IS NULL)
  GROUP BY o.tenant_id, o.event_id
)
SELECT a.request_key, a.plane, a.principal_id, a.principal_upn, a.principal_type, a.role_id, a.role_name, a.scope_id,
       a.activated_at, a.started_at, a.scheduled_end,
       -- PIM logs an expiry seconds after access really ended: the scheduled end is the true end when stated.
       CASE WHEN f.end_step = 'expired' AND a.scheduled_end IS NOT NULL THEN least(f.ended_at, a.scheduled_end) ELSE f.ended_at END AS ended_at,
       coalesce(f.end_step, 'open') AS end_reason,
       true AS start_known, 'activation' AS start_source, NULL::TIMESTAMPTZ AS coverage_start,
       coalesce(a.via_group_id, f.via_group_id) AS via_group_id,
       CASE WHEN a.via_group_id IS NOT NULL THEN a.via_group_name ELSE f.via_group_name END AS via_group_name,
       a.tenant_id
FROM act a LEFT JOIN first_end f ON f.activation_key = a.request_key AND f.tenant_id IS NOT DISTINCT FROM a.tenant_id
UNION ALL
SELECT o.request_key, o.plane, o.principal_id, o.principal_upn, o.principal_type, o.role_id, o.role_name, o.scope_id,
       NULL::TIMESTAMPTZ AS activated_at, coalesce(ss.start_at, c.coverage_start, o.event_time) AS started_at, NULL::TIMESTAMPTZ AS scheduled_end,
       o.event_time AS ended_at, o.step AS end_reason,
       ss.start_at IS NOT NULL AS start_known,
       CASE WHEN ss.start_at IS NOT NULL THEN 'snapshot' ELSE 'coverage_start' END AS start_source,
       CASE WHEN ss.start_at IS NULL THEN coalesce(c.coverage_start, o.event_time) END AS coverage_start,
       o.via_group_id, o.via_group_name, o.tenant_id
FROM orphan o
LEFT JOIN snapshot_start ss ON ss.event_id = o.event_id AND ss.tenant_id IS NOT DISTINCT FROM o.tenant_id
LEFT JOIN coverage c ON c.event_id = o.event_id AND c.tenant_id IS NOT DISTINCT FROM o.tenant_id
