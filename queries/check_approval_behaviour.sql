-- id: check_approval_behaviour
-- title: Approval behaviour
-- description: Self-approval (PIM forbids it, so one in the log is itself a finding), mutual
--   approval (A approved B and B approved A within the window), roles whose every decision came
--   from one person (the approval fails when they are away), and roles whose approval requests are
--   often left to expire.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by decision time
--   to TIMESTAMPTZ: period end (exclusive)
--   mutual_approval_days DOUBLE: how close together two approvals count as mutual
--   min_decisions INTEGER: decisions a role needs before single-approver or expiry findings
--   expired_rate_flag DOUBLE: share of approval requests left to expire that is flagged
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   mutual_approval_days: checks.mutualApprovalDays (30)
--   min_decisions: approvals.minDecisions (5)
--   expired_rate_flag: checks.expiredApprovalRateFlag (0.2)
WITH a AS (
  SELECT * FROM pim_approvals WHERE decision = 'approved' AND decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ
),
self_approvals AS (
  SELECT 'high' AS severity, 'request' AS subject_type, request_key AS subject_id, coalesce(approver_upn, approver_id) AS subject_name,
         'self-approved' AS observed, 'approver ≠ requester' AS threshold,
         coalesce(approver_upn, approver_id) || ' approved their own request for ' || coalesce(role_name, role_id) || ' (request ' || request_key || ')' AS detail,
         decided_at AS first_seen, decided_at AS last_seen
  FROM a WHERE relation = 'self'
),
mutual AS (
  SELECT 'high', 'principal_pair', least(x.approver_id, x.requester_id) || '|' || greatest(x.approver_id, x.requester_id),
         least(coalesce(x.approver_upn, x.approver_id), coalesce(x.requester_upn, x.requester_id)) || ' ↔ ' || greatest(coalesce(x.approver_upn, x.approver_id), coalesce(x.requester_upn, x.requester_id)),
         'approved each other', 'within ' || $mutual_approval_days || ' days',
         coalesce(x.approver_upn, x.approver_id) || ' approved ' || coalesce(x.requester_upn, x.requester_id) || ' (' || coalesce(x.role_name, '') || ') and ' ||
           coalesce(y.approver_upn, y.approver_id) || ' approved ' || coalesce(y.requester_upn, y.requester_id) || ' (' || coalesce(y.role_name, '') || ')',
         min(least(x.decided_at, y.decided_at)), max(greatest(x.decided_at, y.decided_at))
  FROM a x JOIN a y ON x.approver_id = y.requester_id AND x.requester_id = y.approver_id AND x.approver_id < x.requester_id
   AND abs(epoch(x.decided_at) - epoch(y.decided_at)) <= $mutual_approval_days::DOUBLE * 86400
  WHERE x.relation <> 'self'
  GROUP BY ALL
),
decisions AS (
  SELECT role_id, any_value(role_name) AS role_name, count(*) AS n, count(DISTINCT approver_id) AS approvers, any_value(coalesce(approver_upn, approver_id)) AS one,
         min(decided_at) AS first_seen, max(decided_at) AS last_seen
  FROM pim_approvals WHERE decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ AND request_type = 'activate'
  GROUP BY role_id
),
single AS (
  SELECT 'medium', 'role', role_id, coalesce(role_name, role_id), '1 approver in ' || n || ' decisions', '≥ 2 approvers',
         'every decision on ' || coalesce(role_name, role_id) || ' came from ' || one || ': when they are away, nobody can activate it',
         first_seen, last_seen
  FROM decisions WHERE approvers = 1 AND n >= $min_decisions::INTEGER
),
expiry AS (
  SELECT role_id, any_value(role_name) AS role_name, count(*) AS n, count(*) FILTER (WHERE decision = 'approval_expired') AS expired,
         min(requested_at) AS first_seen, max(requested_at) AS last_seen
  FROM pim_requests WHERE approval_required AND request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  GROUP BY role_id
),
expired AS (
  SELECT 'low', 'role', role_id, coalesce(role_name, role_id), round(100.0 * expired / n, 1) || '% expired (' || expired || ' of ' || n || ')',
         '< ' || round(100 * $expired_rate_flag, 1) || '%',
         coalesce(role_name, role_id) || ': ' || expired || ' of ' || n || ' approval requests expired unanswered',
         first_seen, last_seen
  FROM expiry WHERE n >= $min_decisions::INTEGER AND expired::DOUBLE / n >= $expired_rate_flag::DOUBLE
)
SELECT 'check_approval_behaviour' AS check_id, * FROM (
  SELECT * FROM self_approvals UNION ALL SELECT * FROM mutual UNION ALL SELECT * FROM single UNION ALL SELECT * FROM expired
)
ORDER BY severity, first_seen;
