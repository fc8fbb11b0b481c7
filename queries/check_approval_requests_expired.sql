-- id: check_approval_requests_expired
-- title: Approval requests left to expire
-- description: Roles whose activation requests needing approval are often left unanswered until
--   they expire.
-- severity: low
-- doc: docs/rules.md#approval_requests_expired
-- action: Add approvers or a backup approver so requests are decided before they expire.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   min_decisions INTEGER: approval requests a role needs before it is judged
--   expired_rate_flag DOUBLE: share of approval requests left to expire that is flagged
-- thresholds:
--   min_decisions: approvals.minDecisions (5)
--   expired_rate_flag: checks.expiredApprovalRateFlag (0.2)
WITH expiry AS (
  SELECT role_id, any_value(role_name) AS role_name, count(*) AS n, count(*) FILTER (WHERE decision = 'approval_expired') AS expired,
         min(requested_at) AS first_seen, max(requested_at) AS last_seen
  FROM pim_requests WHERE approval_required AND request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  GROUP BY role_id
)
SELECT 'low' AS severity, 'role' AS subject_type, role_id AS subject_id, coalesce(role_name, role_id) AS subject_name,
       round(100.0 * expired / n, 1) || '% expired (' || expired || ' of ' || n || ')' AS observed,
       '< ' || round(100 * $expired_rate_flag, 1) || '%' AS threshold,
       coalesce(role_name, role_id) || ': ' || expired || ' of ' || n || ' approval requests expired unanswered' AS detail,
       first_seen, last_seen
FROM expiry WHERE n >= $min_decisions::INTEGER AND expired::DOUBLE / n >= $expired_rate_flag::DOUBLE
ORDER BY first_seen;
