-- id: check_activation_ended_early
-- title: Activations ended within minutes
-- description: A person who mostly ends their activations of a role within minutes: a shorter maximum would do.
-- severity: low
-- doc: docs/rules.md#activation_ended_early
-- action: Ask the admin whether a shorter activation or a less privileged role would do.
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
SELECT 'low' AS severity, 'assignment' AS subject_type, principal_id || '|' || role_id AS subject_id, coalesce(upn, principal_id) || ' / ' || coalesce(role_name, role_id) AS subject_name,
       short || ' of ' || n || ' ended within ' || $short_activation_minutes || ' min' AS observed, '< ' || round(100 * $right_sizing_share) || '%' AS threshold,
       coalesce(upn, principal_id) || ' ends ' || short || ' of ' || n || ' activations of ' || role_name || ' within ' || $short_activation_minutes || ' minutes: a shorter maximum would do' AS detail, first_seen, last_seen
FROM per WHERE n >= $right_sizing_min_activations::INTEGER AND short::DOUBLE / n >= $right_sizing_share::DOUBLE
ORDER BY subject_name;
