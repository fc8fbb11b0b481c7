-- fragment: activation_right_sizing
-- Included by the right-sizing rules (`-- include: activation_right_sizing`): Entra-role activations
-- started in [$from, $to) that ended and whose start is known, with their length in minutes (`a`), and per
-- principal and role how many there were, how many ran to their end and how many ended within
-- $short_activation_minutes (`per`). The including query continues with its SELECT or `, name AS (`.
WITH a AS (
  SELECT principal_id, principal_upn, role_id, role_name, started_at, end_reason,
         (epoch(coalesce(ended_at, scheduled_end)) - epoch(started_at)) / 60 AS minutes
  FROM pim_activations
  WHERE plane = 'entra_role' AND started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ AND end_reason <> 'open' AND start_known
),
per AS (
  SELECT principal_id, any_value(principal_upn) AS upn, role_id, any_value(role_name) AS role_name, count(*) AS n,
         count(*) FILTER (WHERE end_reason = 'expired') AS expired, count(*) FILTER (WHERE minutes < $short_activation_minutes::DOUBLE) AS short,
         min(started_at) AS first_seen, max(started_at) AS last_seen
  FROM a GROUP BY principal_id, role_id
)
