-- pim_requests: one row per PIM request (a request key is one tenant's). The decision (what the approver did) and the activation's
-- life (pim_activations.end_reason) are separate columns: "expired" never means both.
WITH ev AS (
  SELECT * FROM int_pim_events
  WHERE step NOT IN ('companion', 'direct_add', 'direct_remove', 'outside_pim', 'policy_updated', 'expired')
),
g AS (
  SELECT tenant_id, request_key,
    CASE
      WHEN bool_or(step IN ('act_requested', 'approval_requested', 'approved', 'denied', 'approval_expired', 'canceled', 'activated')) THEN 'activate'
      WHEN bool_or(step IN ('deact_requested', 'deactivated')) THEN 'deactivate'
      WHEN bool_or(step IN ('assign_requested', 'assigned', 'assign_canceled')) THEN max(request_type) FILTER (WHERE step IN ('assign_requested', 'assigned', 'assign_canceled'))
      WHEN bool_or(step IN ('remove_requested', 'removed')) THEN 'remove'
      ELSE coalesce(max(request_type) FILTER (WHERE step LIKE 'extend%'), 'extend')
    END AS request_type,
    any_value(plane) AS plane,
    arg_min(principal_id, event_time) FILTER (WHERE principal_id IS NOT NULL) AS principal_id,
    arg_min(principal_upn, event_time) FILTER (WHERE principal_upn IS NOT NULL) AS principal_upn,
    arg_min(principal_type, event_time) FILTER (WHERE principal_type IS NOT NULL) AS principal_type,
    arg_min(role_id, event_time) FILTER (WHERE role_id IS NOT NULL) AS role_id,
    arg_min(role_name, event_time) FILTER (WHERE role_name IS NOT NULL) AS role_name,
    arg_min(scope_id, event_time) AS scope_id,
    min(event_time) FILTER (WHERE step IN ('act_requested', 'deact_requested', 'assign_requested', 'remove_requested', 'extend_requested')) AS requested_at,
    arg_min(justification, event_time) FILTER (WHERE step IN ('act_requested', 'deact_requested', 'assign_requested', 'remove_requested', 'extend_requested')) AS justification,
    max(ticket_number) AS ticket_number,
    max(ticket_system) AS ticket_system,
    CASE WHEN bool_or(mfa_flag) THEN true END AS mfa,
    bool_or(step IN ('approval_requested', 'approved', 'denied', 'approval_expired', 'extend_approved', 'extend_denied') OR coalesce(approval_flag, false)) AS approval_required,
    arg_max(step, event_time) FILTER (WHERE step IN ('approved', 'denied', 'approval_expired', 'canceled', 'extend_approved', 'extend_denied', 'extend_canceled')) AS decision_step,
    max(event_time) FILTER (WHERE step IN ('approved', 'denied', 'approval_expired', 'canceled', 'extend_approved', 'extend_denied', 'extend_canceled')) AS decided_at,
    arg_max(actor_id, event_time) FILTER (WHERE step IN ('approved', 'denied', 'extend_approved', 'extend_denied')) AS approver_id,
    arg_max(actor_upn, event_time) FILTER (WHERE step IN ('approved', 'denied', 'extend_approved', 'extend_denied')) AS approver_upn,
    min(event_time) FILTER (WHERE step = 'activated') AS activated_at,
    min(event_time) FILTER (WHERE step IN ('activated', 'deactivated', 'assigned', 'removed')) AS completed_at,
    bool_and(keyed) AS keyed,
    count(*) AS events
  FROM ev GROUP BY tenant_id, request_key
)
SELECT g.request_key, g.request_type, g.plane, g.principal_id, g.principal_upn, g.principal_type, g.role_id, g.role_name, g.scope_id,
  g.requested_at, g.justification, g.ticket_number, g.ticket_system, g.mfa, g.approval_required,
  CASE
    WHEN g.decision_step IN ('approved', 'extend_approved') THEN 'approved'
    WHEN g.decision_step IN ('denied', 'extend_denied') THEN 'denied'
    WHEN g.decision_step = 'approval_expired' THEN 'approval_expired'
    WHEN g.decision_step IN ('canceled', 'extend_canceled') THEN 'canceled'
    WHEN g.approval_required AND g.completed_at IS NULL THEN 'pending'
    ELSE 'none'
  END AS decision,
  g.decided_at, g.approver_id, g.approver_upn, g.activated_at, g.completed_at,
  a.ended_at, a.end_reason, a.scheduled_end - a.started_at AS requested_duration,
  g.keyed, g.events, g.tenant_id
FROM g LEFT JOIN pim_activations a ON a.request_key = g.request_key AND a.tenant_id IS NOT DISTINCT FROM g.tenant_id
