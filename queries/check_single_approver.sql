-- id: check_single_approver
-- title: One person decides every approval of a role
-- description: Roles whose every activation decision in the period came from one person: when they
--   are away, nobody can activate the role.
-- severity: medium
-- doc: docs/rules.md#single_approver
-- action: Add a second approver for the role so one person does not decide every request.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by decision time
--   to TIMESTAMPTZ: period end (exclusive)
--   min_decisions INTEGER: decisions a role needs before it is judged
-- thresholds:
--   min_decisions: approvals.minDecisions (5)
WITH decisions AS (
  SELECT role_id, any_value(role_name) AS role_name, count(*) AS n, count(DISTINCT approver_id) AS approvers, any_value(coalesce(approver_upn, approver_id)) AS one,
         min(decided_at) AS first_seen, max(decided_at) AS last_seen
  FROM pim_approvals WHERE decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ AND request_type = 'activate'
  GROUP BY role_id
)
SELECT 'medium' AS severity, 'role' AS subject_type, role_id AS subject_id, coalesce(role_name, role_id) AS subject_name, '1 approver in ' || n || ' decisions' AS observed, '≥ 2 approvers' AS threshold,
       'every decision on ' || coalesce(role_name, role_id) || ' came from ' || one || ': when they are away, nobody can activate it' AS detail,
       first_seen, last_seen
FROM decisions WHERE approvers = 1 AND n >= $min_decisions::INTEGER
ORDER BY first_seen;
