-- id: check_right_sizing
-- title: Right-sizing eligibility and durations
-- description: Where eligibility or activation settings do not fit how a role is used: a person who
--   mostly lets activations run to their scheduled end (they may need longer), or mostly ends them
--   within minutes (a shorter maximum would do), and a person who activates a role far more often
--   than the others eligible for it. Eligibility unused for long is check_pim_alerts.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   short_activation_minutes DOUBLE: an activation ended within this is short
--   right_sizing_share DOUBLE: share of a person's activations that makes the pattern
--   right_sizing_min_activations INTEGER: activations needed before judging
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   short_activation_minutes: detections.shortActivationMinutes (10)
--   right_sizing_share: detections.rightSizingShare (0.5)
--   right_sizing_min_activations: detections.rightSizingMinActivations (5)
WITH a AS (
  SELECT principal_id, principal_upn, role_id, role_name, started_at, end_reason,
         (epoch(coalesce(ended_at, scheduled_end)) - epoch(started_at)) / 60 AS minutes
  FROM pim_activations
  WHERE plane = 'entra_role' AND started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ AND end_reason <> 'open'
),
per AS (
  SELECT principal_id, any_value(principal_upn) AS upn, role_id, any_value(role_name) AS role_name, count(*) AS n,
         count(*) FILTER (WHERE end_reason = 'expired') AS expired, count(*) FILTER (WHERE minutes < $short_activation_minutes::DOUBLE) AS short,
         min(started_at) AS first_seen, max(started_at) AS last_seen
  FROM a GROUP BY principal_id, role_id
),
peers AS (
  SELECT role_id, median(n) AS median_n, count(*) AS people FROM per GROUP BY role_id
),
findings AS (
  SELECT 'info' AS severity, principal_id, upn, role_id, role_name, expired || ' of ' || n || ' ran to their end' AS observed, '< ' || round(100 * $right_sizing_share) || '%' AS threshold,
         coalesce(upn, principal_id) || ' lets ' || expired || ' of ' || n || ' activations of ' || role_name || ' run to their scheduled end: the maximum may be too short for the work' AS detail, first_seen, last_seen
  FROM per WHERE n >= $right_sizing_min_activations::INTEGER AND expired::DOUBLE / n >= $right_sizing_share::DOUBLE
  UNION ALL
  SELECT 'low', principal_id, upn, role_id, role_name, short || ' of ' || n || ' ended within ' || $short_activation_minutes || ' min', '< ' || round(100 * $right_sizing_share) || '%',
         coalesce(upn, principal_id) || ' ends ' || short || ' of ' || n || ' activations of ' || role_name || ' within ' || $short_activation_minutes || ' minutes: a shorter maximum would do', first_seen, last_seen
  FROM per WHERE n >= $right_sizing_min_activations::INTEGER AND short::DOUBLE / n >= $right_sizing_share::DOUBLE
  UNION ALL
  SELECT 'low', p.principal_id, p.upn, p.role_id, p.role_name, p.n || ' activations vs a median of ' || q.median_n, '≤ 3× the median of ' || q.people || ' people',
         coalesce(p.upn, p.principal_id) || ' activated ' || p.role_name || ' ' || p.n || ' times, over 3× the others: standing need, or a task to automate?', p.first_seen, p.last_seen
  FROM per p JOIN peers q USING (role_id)
  WHERE q.people >= 3 AND p.n >= $right_sizing_min_activations::INTEGER AND p.n > 3 * q.median_n
)
SELECT 'check_right_sizing' AS check_id, severity, 'assignment' AS subject_type, principal_id || '|' || role_id AS subject_id,
       coalesce(upn, principal_id) || ' / ' || coalesce(role_name, role_id) AS subject_name, observed, threshold, detail, first_seen, last_seen
FROM findings
ORDER BY severity, subject_name;
