-- id: check_activation_outlier
-- title: Activates a role far more often than peers
-- description: A person who activates a role more than three times as often as the median of the (at least
--   three) people activating it: standing need, or a task to automate?
-- severity: low
-- doc: docs/rules.md#activation_outlier
-- action: Ask the admin why they activate the role so often, and right-size the role or its duration.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   short_activation_minutes DOUBLE: an activation ended within this is short
--   right_sizing_min_activations INTEGER: activations needed before judging
-- thresholds:
--   short_activation_minutes: detections.shortActivationMinutes (10)
--   right_sizing_min_activations: detections.rightSizingMinActivations (5)
-- include: activation_right_sizing
,
peers AS (
  SELECT role_id, median(n) AS median_n, count(*) AS people FROM per GROUP BY role_id
)
SELECT 'low' AS severity, 'assignment' AS subject_type, p.principal_id || '|' || p.role_id AS subject_id, coalesce(p.upn, p.principal_id) || ' / ' || coalesce(p.role_name, p.role_id) AS subject_name,
       p.n || ' activations vs a median of ' || q.median_n AS observed, '≤ 3× the median of ' || q.people || ' people' AS threshold,
       coalesce(p.upn, p.principal_id) || ' activated ' || p.role_name || ' ' || p.n || ' times, over 3× the others: standing need, or a task to automate?' AS detail, p.first_seen, p.last_seen
FROM per p JOIN peers q USING (role_id)
WHERE q.people >= 3 AND p.n >= $right_sizing_min_activations::INTEGER AND p.n > 3 * q.median_n
ORDER BY subject_name;
