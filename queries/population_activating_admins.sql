-- id: population_activating_admins
-- title: Admins who activated an Entra role
-- description: The people a per-admin activation rule judges: distinct principals with an Entra-role
--   activation that started in the period (start known). A rule that fires for most of them says so
--   in the report instead of listing everyone.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   population: how many admins
--   unit: what they are, for the report's sentence
SELECT count(DISTINCT principal_id) AS population, 'admins who activated an Entra role' AS unit
FROM pim_activations
WHERE plane = 'entra_role' AND start_known AND started_at >= $from::TIMESTAMPTZ AND started_at < $to::TIMESTAMPTZ
