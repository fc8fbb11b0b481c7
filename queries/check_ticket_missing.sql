-- id: check_ticket_missing
-- title: Activation without the required ticket
-- description: Roles whose settings (newest snapshot at or before as-of) require a ticket, with
--   activation requests in the period that recorded none. The ticket keys are unconfirmed in real
--   records, so a finding here may be a naming gap rather than a missing ticket.
-- severity: medium
-- doc: docs/rules.md#ticket_missing
-- action: Ask the admin for the ticket, and require ticket information in the role's PIM settings.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: which role-settings snapshot to read
WITH policy AS (
  SELECT role_id, ticket_required FROM role_policies
  WHERE observed_at = (SELECT max(observed_at) FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
)
SELECT 'medium' AS severity, 'role' AS subject_type, r.role_id AS subject_id, coalesce(any_value(r.role_name), r.role_id) AS subject_name,
       count(*) || ' request(s) without a ticket' AS observed, 'a ticket (required by the role settings)' AS threshold,
       coalesce(any_value(r.role_name), r.role_id) || ' requires a ticket but ' || count(*) || ' activation request(s) recorded none (key names for tickets are unconfirmed in real records)' AS detail,
       min(r.requested_at) AS first_seen, max(r.requested_at) AS last_seen
FROM pim_requests r JOIN policy p USING (role_id)
WHERE r.request_type = 'activate' AND r.requested_at >= $from::TIMESTAMPTZ AND r.requested_at < $to::TIMESTAMPTZ
  AND p.ticket_required AND r.ticket_number IS NULL
GROUP BY r.role_id
ORDER BY first_seen;
