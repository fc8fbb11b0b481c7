-- id: check_new_request_address
-- title: Activation request from a new address
-- description: From the requester's address that PIM request records hold (the ipaddr detail): an activation
--   request from an address the admin has not sent a PIM request from in the previous days, judged only when
--   that admin's own requests with an address reach back at least that far (a short history proves nothing).
-- severity: low
-- doc: docs/rules.md#new_request_address
-- action: Confirm with the admin that the request from the new address was theirs.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   new_address_days INTEGER: days back in which the address must have been used
-- thresholds:
--   new_address_days: detections.newAddressDays (30)
WITH reqs AS (
  -- Only request records: the address there is the requester's own (ipaddr); other records' addresses,
  -- where a shape has them, can be a service's.
  SELECT event_id, event_time, request_key, step, actor_ip, user_agent,
         coalesce(actor_id, principal_id) AS admin_id, coalesce(actor_upn, principal_upn) AS admin_upn, role_id, role_name
  FROM int_pim_events WHERE step LIKE '%requested' AND actor_ip IS NOT NULL AND coalesce(actor_id, principal_id) IS NOT NULL
),
history AS (SELECT admin_id, min(event_time) AS since FROM reqs GROUP BY admin_id),
asked AS (
  SELECT r.* FROM reqs r JOIN history h USING (admin_id)
  WHERE r.step = 'act_requested' AND r.event_time >= $from::TIMESTAMPTZ AND r.event_time < $to::TIMESTAMPTZ
    AND h.since <= r.event_time - to_days(CAST($new_address_days AS BIGINT))
)
SELECT 'low' AS severity, 'request' AS subject_type, r.request_key AS subject_id,
       coalesce(r.admin_upn, r.admin_id) || ' / ' || coalesce(r.role_name, r.role_id) AS subject_name,
       'new address ' || r.actor_ip AS observed, 'an address used in the previous ' || $new_address_days || ' days' AS threshold,
       coalesce(r.admin_upn, r.admin_id) || ' requested ' || coalesce(r.role_name, r.role_id) || ' from ' || r.actor_ip ||
         ', an address not used for PIM in the previous ' || $new_address_days || ' days' AS detail,
       r.event_time AS first_seen, r.event_time AS last_seen
-- The address is new when the admin's last earlier request from it is older than the window (or there
-- is none). An ASOF join finds that one request in a sorted pass; NOT EXISTS over a time range
-- compared each request with every earlier one from the same admin and address.
FROM asked r ASOF LEFT JOIN reqs p ON p.admin_id = r.admin_id AND p.actor_ip = r.actor_ip AND r.event_time > p.event_time
WHERE p.event_time IS NULL OR p.event_time < r.event_time - to_days(CAST($new_address_days AS BIGINT))
ORDER BY first_seen, subject_id;
