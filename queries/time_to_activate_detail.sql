-- id: time_to_activate_detail
-- title: Time to activate, request by request
-- description: Each activation that took effect in the period (by request time) with its route and
--   seconds from request to grant: the rows behind the time-to-activate distribution.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   plane, route, request_key, principal_id, principal_upn, role_name, requested_at, seconds, approver_upn
SELECT plane, CASE WHEN approval_required THEN 'approval' ELSE 'self' END AS route, request_key, principal_id, principal_upn, role_name,
       requested_at, (epoch_us(activated_at) - epoch_us(requested_at)) / 1e6 AS seconds, approver_upn
FROM pim_requests
WHERE request_type = 'activate' AND activated_at IS NOT NULL AND requested_at IS NOT NULL
  AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
ORDER BY seconds DESC;
