-- id: check_short_justification
-- title: Empty or short justification
-- description: People whose activation requests in the period carry an empty justification or one
--   shorter than the minimum length.
-- severity: low
-- doc: docs/rules.md#short_justification
-- action: Tell the admins that a justification names the task or ticket.
-- population: population_requesters
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   justification_min_length INTEGER: shorter justifications are flagged
-- thresholds:
--   justification_min_length: detections.justificationMinLength (10)
SELECT 'low' AS severity, 'principal' AS subject_type, principal_id AS subject_id, coalesce(any_value(principal_upn), principal_id) AS subject_name,
       count(*) || ' request(s) with an empty or short justification' AS observed, '≥ ' || $justification_min_length || ' characters' AS threshold,
       coalesce(any_value(principal_upn), principal_id) || ' justified ' || count(*) || ' request(s) with: ' || string_agg(DISTINCT coalesce('"' || nullif(trim(justification), '') || '"', '(nothing)'), ', ' ORDER BY coalesce('"' || nullif(trim(justification), '') || '"', '(nothing)')) AS detail,
       min(requested_at) AS first_seen, max(requested_at) AS last_seen
FROM pim_requests
WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  AND length(trim(coalesce(justification, ''))) < $justification_min_length::INTEGER
GROUP BY principal_id
ORDER BY first_seen;
