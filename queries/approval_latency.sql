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
--   expired, pending: (role rows) requests nobody answered in time / yet; a role nobody ever
--     answered still gets a row (decisions 0), since it is the worst case this query is for
WITH d AS (
  SELECT *, (epoch_us(decided_at) - epoch_us(requested_at)) / 1e6 AS wait FROM pim_approvals
  WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
),
r AS (
  SELECT role_id, any_value(role_name) AS role_name, count(*) FILTER (WHERE decision = 'approval_expired') AS expired, count(*) FILTER (WHERE decision = 'pending') AS pending
  FROM pim_requests WHERE approval_required AND request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  GROUP BY role_id
),
w AS (
  SELECT role_id, any_value(role_name) AS role_name, count(*) AS decisions, quantile_cont(wait, 0.5) AS p50, quantile_cont(wait, 0.9) AS p90
  FROM d GROUP BY role_id
)
SELECT 'approver' AS dimension, approver_id AS id, any_value(coalesce(approver_upn, approver_name)) AS name, count(*) AS decisions,
       quantile_cont(wait, 0.5) AS p50_wait_seconds, quantile_cont(wait, 0.9) AS p90_wait_seconds, NULL::BIGINT AS expired, NULL::BIGINT AS pending
FROM d GROUP BY approver_id
UNION ALL
-- A full join: a role whose requests all expired or wait has no decision, and must not vanish.
SELECT 'role', role_id, coalesce(w.role_name, r.role_name), coalesce(w.decisions, 0), w.p50, w.p90, coalesce(r.expired, 0), coalesce(r.pending, 0)
FROM w FULL JOIN r USING (role_id)
WHERE w.decisions IS NOT NULL OR r.expired + r.pending > 0
ORDER BY dimension, decisions DESC, id;
