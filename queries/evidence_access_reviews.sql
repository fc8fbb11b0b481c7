-- id: evidence_access_reviews
-- title: Access reviews in a period, with decisions and whether they were applied
-- description: Every access review instance that ran during [from, to), from the newest snapshot
--   at or before `to`, with each decision, who made it and whether it was applied to the access. An
--   instance without decisions is listed once with empty decision columns.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive); the newest snapshot at or before it is read (one taken as the period closes shows its end)
-- columns:
--   review_id, review_name, instance_id, instance_start, instance_end, instance_status
--   principal_id, principal_upn: whose access was reviewed
--   decision: Approve, Deny, NotReviewed, DontKnow
--   recommendation, reviewed_by, reviewed_at, apply_result
--   applied: true when Graph says the decision was applied successfully, false when it says otherwise, NULL when it does not say
--   observed_at: the snapshot read
WITH snap AS (SELECT max(observed_at) AS at FROM access_review_instances WHERE observed_at <= $to::TIMESTAMPTZ),
i AS (
  SELECT i.* FROM access_review_instances i JOIN snap ON i.observed_at = snap.at
  WHERE i.start_at < $to::TIMESTAMPTZ AND coalesce(i.end_at, 'infinity'::TIMESTAMPTZ) >= $from::TIMESTAMPTZ
)
SELECT i.definition_id AS review_id,
       (SELECT any_value(d.display_name) FROM access_review_definitions d WHERE d.review_id = i.definition_id AND d.observed_at = i.observed_at) AS review_name,
       i.instance_id, i.start_at AS instance_start, i.end_at AS instance_end, i.status AS instance_status,
       x.principal_id, x.principal_upn, x.decision, x.recommendation, x.reviewed_by, x.reviewed_at, x.apply_result,
       CASE WHEN x.apply_result IS NULL THEN NULL WHEN x.apply_result ILIKE 'AppliedSuccessfully%' THEN true ELSE false END AS applied,
       i.observed_at
FROM i LEFT JOIN access_review_decisions x ON x.instance_id = i.instance_id AND x.observed_at = i.observed_at
ORDER BY i.start_at, i.definition_id, i.instance_id, x.principal_upn, x.principal_id, x.decision_id;
