-- id: check_mfa_and_tickets_observed
-- title: MFA and tickets as the log shows them
-- description: Per role, activations with MFA recorded and with a ticket recorded, beside those
--   where the log says nothing. PIM writes IsAuthenticatedWithMfa only when it is true and the
--   ticket keys are not confirmed in real records: absence means unknown, never "no", so these are
--   info rows only. The role-settings check says whether MFA is required.
-- severity: info
-- doc: docs/rules.md#mfa_and_tickets_observed
-- action: Compare what the log shows with the role settings you intend.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
SELECT 'info' AS severity, 'role' AS subject_type, role_id AS subject_id, any_value(role_name) AS subject_name,
       count(*) FILTER (WHERE mfa) || ' of ' || count(*) || ' with MFA recorded; ' || count(*) FILTER (WHERE ticket_number IS NOT NULL) || ' with a ticket' AS observed,
       NULL AS threshold,
       any_value(role_name) || ': MFA recorded on ' || count(*) FILTER (WHERE mfa) || ', unknown on ' || count(*) FILTER (WHERE mfa IS NULL) ||
         '; ticket recorded on ' || count(*) FILTER (WHERE ticket_number IS NOT NULL) || ', unknown on ' || count(*) FILTER (WHERE ticket_number IS NULL) AS detail,
       min(requested_at) AS first_seen, max(requested_at) AS last_seen
FROM pim_requests
WHERE request_type = 'activate' AND plane = 'entra_role' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
GROUP BY role_id
ORDER BY subject_name;
