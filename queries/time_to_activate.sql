-- id: time_to_activate
-- title: Time to activate
-- description: Seconds from an activation request to the role being granted, per plane and route.
--   The route is 'approval' when the request had any approval event or PIM marked it as requiring
--   approval, else 'self'. A request belongs to the period that contains its request time.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   self_target_seconds DOUBLE: target for self-activation
--   approval_target_seconds DOUBLE: target for activation with approval
-- columns:
--   plane: entra_role, group or azure_resource
--   route: self or approval
--   count: activations that took effect
--   p50_seconds, p90_seconds: quantile_cont over seconds
--   max_seconds: the slowest
--   target_seconds: the route's target
--   within_target: activations strictly under the target
-- thresholds:
--   self_target_seconds: targets.selfActivationSeconds (300)
--   approval_target_seconds: targets.approvalSeconds (1800)
-- A member's activation of a group that held an Entra role when it was requested counts under
-- entra_role (group_carried_roles), once.
-- include: group_carried_roles
,
r AS (
  SELECT CASE WHEN q.plane = 'group' AND lower(q.role_id) <> 'owner' AND EXISTS (
              SELECT 1 FROM carried c WHERE c.group_id = q.scope_id AND coalesce(c.start_at <= q.requested_at, true)
                AND (c.until IS NULL OR c.until > q.requested_at)) THEN 'entra_role' ELSE q.plane END AS plane,
         CASE WHEN approval_required THEN 'approval' ELSE 'self' END AS route,
         (epoch_us(activated_at) - epoch_us(requested_at)) / 1e6 AS seconds
  FROM pim_requests q
  WHERE request_type = 'activate' AND activated_at IS NOT NULL AND requested_at IS NOT NULL
    AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
),
t AS (
  SELECT *, CASE route WHEN 'self' THEN $self_target_seconds::DOUBLE ELSE $approval_target_seconds::DOUBLE END AS target_seconds FROM r
)
SELECT plane, route,
       count(*) AS count,
       quantile_cont(seconds, 0.5) AS p50_seconds,
       quantile_cont(seconds, 0.9) AS p90_seconds,
       max(seconds) AS max_seconds,
       any_value(target_seconds) AS target_seconds,
       count(*) FILTER (WHERE seconds < target_seconds) AS within_target
FROM t
GROUP BY plane, route
ORDER BY plane, route;
