-- id: check_slow_approver
-- title: Slow approvers
-- description: Approvers whose median wait from request to decision is over the target: their
--   requesters wait beyond the time-to-activate target.
-- severity: low
-- doc: docs/rules.md#slow_approver
-- action: Ask the approver to answer sooner, or add approvers who can.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   slow_approval_seconds DOUBLE: median wait above which an approver is flagged
--   min_decisions INTEGER: decisions an approver needs before being judged
-- thresholds:
--   slow_approval_seconds: checks.slowApprovalSeconds (1800)
--   min_decisions: approvals.minDecisions (5)
WITH d AS (
  SELECT approver_id, any_value(coalesce(approver_upn, approver_name, approver_id)) AS name, count(*) AS n,
         quantile_cont((epoch_us(decided_at) - epoch_us(requested_at)) / 1e6, 0.5) AS p50, min(decided_at) AS first_seen, max(decided_at) AS last_seen
  FROM pim_approvals
  WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  GROUP BY approver_id
)
SELECT 'low' AS severity, 'approver' AS subject_type, approver_id AS subject_id, name AS subject_name,
       round(p50 / 60, 1) || ' min median wait' AS observed, '< ' || round($slow_approval_seconds / 60, 1) || ' min' AS threshold,
       name || ' takes a median ' || round(p50 / 60, 1) || ' min to decide (' || n || ' decisions)' AS detail, first_seen, last_seen
FROM d WHERE n >= $min_decisions::INTEGER AND p50 >= $slow_approval_seconds::DOUBLE
ORDER BY p50 DESC;
