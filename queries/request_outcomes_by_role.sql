-- id: request_outcomes_by_role
-- title: Request outcomes by role
-- description: Activation requests per role by how they ended: self-activated, approved, denied,
--   expired unanswered, canceled, pending.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   plane, role_id, role_name, outcome, requests
SELECT plane, role_id, any_value(role_name) AS role_name,
       CASE WHEN NOT approval_required THEN CASE WHEN activated_at IS NOT NULL THEN 'self-activated' ELSE 'not completed' END
            WHEN decision = 'approval_expired' THEN 'expired' ELSE decision END AS outcome,
       count(*) AS requests
FROM pim_requests
WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
GROUP BY ALL
ORDER BY plane, role_name, outcome;
