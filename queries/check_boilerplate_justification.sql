-- id: check_boilerplate_justification
-- title: Boilerplate justification
-- description: The same justification text (long enough not to be short) repeated word for word
--   across many activation requests in the period: it says nothing about the task.
-- severity: low
-- doc: docs/rules.md#boilerplate_justification
-- action: Tell the admins that a justification names the task or ticket, not a stock phrase.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   justification_min_length INTEGER: shorter justifications are the short-justification rule's, not this one's
--   boilerplate_repeats INTEGER: the same text this many times is boilerplate
-- thresholds:
--   justification_min_length: detections.justificationMinLength (10)
--   boilerplate_repeats: detections.boilerplateRepeats (10)
SELECT 'low' AS severity, 'text' AS subject_type, md5(lower(trim(justification))) AS subject_id, left(trim(justification), 80) AS subject_name,
       count(*) || ' requests by ' || count(DISTINCT principal_id) || ' people' AS observed, '< ' || $boilerplate_repeats AS threshold,
       '"' || left(trim(justification), 80) || '" justified ' || count(*) || ' requests: boilerplate says nothing about the task' AS detail,
       min(requested_at) AS first_seen, max(requested_at) AS last_seen
FROM pim_requests
WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  AND length(trim(coalesce(justification, ''))) >= $justification_min_length::INTEGER
GROUP BY lower(trim(justification)), trim(justification)
HAVING count(*) >= $boilerplate_repeats::INTEGER
ORDER BY first_seen;
