-- id: check_justification_quality
-- title: Justification quality
-- description: Activation requests whose justification is empty or very short, justifications
--   repeated word for word across many requests (boilerplate), and requests without a ticket for a
--   role whose settings require one.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: which role-settings snapshot to read
--   justification_min_length INTEGER: shorter justifications are flagged
--   boilerplate_repeats INTEGER: the same text this many times is boilerplate
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   justification_min_length: detections.justificationMinLength (10)
--   boilerplate_repeats: detections.boilerplateRepeats (10)
WITH r AS (
  SELECT * FROM pim_requests WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
),
short AS (
  SELECT 'low' AS severity, 'principal' AS subject_type, principal_id AS subject_id, coalesce(any_value(principal_upn), principal_id) AS subject_name,
         count(*) || ' request(s) with an empty or short justification' AS observed, '≥ ' || $justification_min_length || ' characters' AS threshold,
         coalesce(any_value(principal_upn), principal_id) || ' justified ' || count(*) || ' request(s) with: ' || string_agg(DISTINCT coalesce('"' || nullif(trim(justification), '') || '"', '(nothing)'), ', ' ORDER BY coalesce('"' || nullif(trim(justification), '') || '"', '(nothing)')) AS detail,
         min(requested_at) AS first_seen, max(requested_at) AS last_seen
  FROM r WHERE length(trim(coalesce(justification, ''))) < $justification_min_length::INTEGER
  GROUP BY principal_id
),
boiler AS (
  SELECT 'low', 'text', md5(lower(trim(justification))), left(trim(justification), 80), count(*) || ' requests by ' || count(DISTINCT principal_id) || ' people', '< ' || $boilerplate_repeats,
         '"' || left(trim(justification), 80) || '" justified ' || count(*) || ' requests: boilerplate says nothing about the task', min(requested_at), max(requested_at)
  FROM r WHERE length(trim(coalesce(justification, ''))) >= $justification_min_length::INTEGER
  GROUP BY lower(trim(justification)), trim(justification)
  HAVING count(*) >= $boilerplate_repeats::INTEGER
),
policy AS (
  SELECT role_id, ticket_required FROM role_policies
  WHERE observed_at = (SELECT max(observed_at) FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
),
no_ticket AS (
  SELECT 'medium', 'role', r.role_id, coalesce(any_value(r.role_name), r.role_id), count(*) || ' request(s) without a ticket', 'a ticket (required by the role settings)',
         coalesce(any_value(r.role_name), r.role_id) || ' requires a ticket but ' || count(*) || ' activation request(s) recorded none (key names for tickets are unconfirmed in real records)',
         min(r.requested_at), max(r.requested_at)
  FROM r JOIN policy p USING (role_id) WHERE p.ticket_required AND r.ticket_number IS NULL
  GROUP BY r.role_id
)
SELECT 'check_justification_quality' AS check_id, * FROM (SELECT * FROM short UNION ALL SELECT * FROM boiler UNION ALL SELECT * FROM no_ticket)
ORDER BY severity, first_seen;
