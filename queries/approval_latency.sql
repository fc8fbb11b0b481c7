-- id: approval_latency
-- title: Approval latency and load
-- description: Per approver and per role: decisions, median and 90th percentile wait from request
--   to decision, and the requests they could have answered that expired or are still pending.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   dimension: approver or role
--   id, name
--   decisions, p50_wait_seconds, p90_wait_seconds
--   expired, pending: (role rows) requests nobody answered in time / yet
WITH d AS (
  SELECT *, (epoch_us(decided_at) - epoch_us(requested_at)) / 1e6 AS wait FROM pim_approvals
  WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
),
r AS (
  SELECT role_id, count(*) FILTER (WHERE decision = 'approval_expired') AS expired, count(*) FILTER (WHERE decision = 'pending') AS pending
  FROM pim_requests WHERE approval_required AND request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  GROUP BY role_id
)
SELECT 'approver' AS dimension, approver_id AS id, any_value(coalesce(approver_upn, approver_name)) AS name, count(*) AS decisions,
       quantile_cont(wait, 0.5) AS p50_wait_seconds, quantile_cont(wait, 0.9) AS p90_wait_seconds, NULL::BIGINT AS expired, NULL::BIGINT AS pending
FROM d GROUP BY approver_id
UNION ALL
SELECT 'role', d.role_id, any_value(d.role_name), count(*), quantile_cont(wait, 0.5), quantile_cont(wait, 0.9), any_value(r.expired), any_value(r.pending)
FROM d LEFT JOIN r USING (role_id) GROUP BY d.role_id
ORDER BY dimension, decisions DESC;
