-- id: check_activation_runs_to_end
-- title: Activations run to their scheduled end
-- description: A person who mostly lets their activations of a role run to the scheduled end: the maximum
--   duration may be too short for the work.
-- severity: info
-- doc: docs/rules.md#activation_runs_to_end
-- action: Shorten the role's maximum activation duration toward the time people actually use.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   short_activation_minutes DOUBLE: an activation ended within this is short
--   right_sizing_share DOUBLE: share of a person's activations that makes the pattern
--   right_sizing_min_activations INTEGER: activations needed before judging
-- thresholds:
--   short_activation_minutes: detections.shortActivationMinutes (10)
--   right_sizing_share: detections.rightSizingShare (0.5)
--   right_sizing_min_activations: detections.rightSizingMinActivations (5)
-- include: activation_right_sizing
SELECT 'info' AS severity, 'assignment' AS subject_type, principal_id || '|' || role_id AS subject_id, coalesce(upn, principal_id) || ' / ' || coalesce(role_name, role_id) AS subject_name,
       expired || ' of ' || n || ' ran to their end' AS observed, '< ' || round(100 * $right_sizing_share) || '%' AS threshold,
       coalesce(upn, principal_id) || ' lets ' || expired || ' of ' || n || ' activations of ' || role_name || ' run to their scheduled end: the maximum may be too short for the work' AS detail, first_seen, last_seen
FROM per WHERE n >= $right_sizing_min_activations::INTEGER AND expired::DOUBLE / n >= $right_sizing_share::DOUBLE
ORDER BY subject_name;
