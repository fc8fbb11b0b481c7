-- id: check_elevation_without_activity
-- title: Elevations that left no trace
-- description: Activations during which the principal initiated no other audit record: the role was
--   held but (as far as the audit log shows) not used. Many of them suggest eligibility nobody needs,
--   or work done where the directory audit log cannot see it.
-- severity: info
-- doc: docs/rules.md#elevation_without_activity
-- action: Ask the admin whether they needed the role, and remove the eligibility if not.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by activation start
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: open activations count until then
WITH act AS (
  SELECT * FROM pim_activations WHERE plane = 'entra_role' AND started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ AND start_known
),
-- Only the period's records by the activating principals are looked at (event_time is what the
-- store is ordered by), and the principal is matched by id and by UPN in two equi-joins: an OR in one
-- join condition cannot be hashed and scanned every activation against every record.
candidates AS (
  SELECT e.event_id, e.event_time, e.actor_id, e.actor_upn FROM audit_events e
  WHERE e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $as_of::TIMESTAMPTZ
    AND (e.actor_id IN (SELECT principal_id FROM act) OR e.actor_upn IN (SELECT principal_upn FROM act))
    AND e.event_id NOT IN (SELECT event_id FROM int_pim_events WHERE event_time >= $from::TIMESTAMPTZ AND event_time < $as_of::TIMESTAMPTZ)
),
-- An activation was used when the principal's first record at or after its start falls before its
-- end. An ASOF join finds that record per activation in one sorted pass; a range join matched every
-- activation of a principal against every record of theirs, and grew with the square of the history.
used AS (
  SELECT a.request_key FROM act a ASOF JOIN candidates e ON e.actor_id = a.principal_id AND a.started_at <= e.event_time
  WHERE e.event_time < least(coalesce(a.ended_at, a.scheduled_end, $as_of::TIMESTAMPTZ), $as_of::TIMESTAMPTZ)
  UNION
  SELECT a.request_key FROM act a ASOF JOIN candidates e ON e.actor_upn = a.principal_upn AND a.started_at <= e.event_time
  WHERE e.event_time < least(coalesce(a.ended_at, a.scheduled_end, $as_of::TIMESTAMPTZ), $as_of::TIMESTAMPTZ)
)
SELECT 'info' AS severity, 'principal' AS subject_type, principal_id AS subject_id,
       coalesce(any_value(principal_upn), principal_id) AS subject_name,
       count(*) || ' of ' || any_value(total) || ' activations without other activity' AS observed, NULL AS threshold,
       coalesce(any_value(principal_upn), principal_id) || ': ' || count(*) || ' of ' || any_value(total) || ' activations (' || string_agg(DISTINCT role_name, ', ' ORDER BY role_name) || ') left no other audit record' AS detail,
       min(started_at) AS first_seen, max(started_at) AS last_seen
FROM (SELECT a.*, count(*) OVER (PARTITION BY a.principal_id) AS total FROM act a) x
WHERE request_key NOT IN (SELECT request_key FROM used)
GROUP BY principal_id
ORDER BY count(*) DESC;
