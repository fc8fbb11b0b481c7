-- id: population_requesters
-- title: People who asked to activate a role
-- description: The people a per-requester rule judges: distinct principals with an activation request
--   (any plane) made in the period. A rule that fires for most of them says so in the report instead of
--   listing everyone.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   population: how many people
--   unit: what they are, for the report's sentence
SELECT count(DISTINCT principal_id) AS population, 'people who asked to activate a role' AS unit
FROM pim_requests
WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
