-- id: evidence_activations
-- title: Activation requests in a period, with justification, ticket and approver
-- description: Every activation request made in [from, to) (by requested_at), granted or not:
--   what the requester wrote, the ticket, the MFA flag, who decided and when, and how the
--   activation ended. Requests whose record precedes the log (requested_at unknown) are not in any period.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   requested_at, request_key, plane, principal_id, principal_upn, role_id, role_name, scope_id
--   justification, ticket_system, ticket_number
--   mfa: true, or NULL = the log does not say (PIM writes the flag only when true)
--   approval_required, decision, decided_at, approver_id, approver_upn
--   activated_at, ended_at, end_reason: the activation's life (NULL when never granted)
SELECT requested_at, request_key, plane, principal_id, principal_upn, role_id, role_name, scope_id,
       justification, ticket_system, ticket_number, mfa, approval_required, decision, decided_at, approver_id, approver_upn,
       activated_at, ended_at, end_reason
FROM pim_requests
WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
ORDER BY requested_at, request_key;
