-- id: check_mutual_approval
-- title: Mutual approval
-- description: Two people who approved each other's requests within the window (A approved B and
--   B approved A): two-person control reduced to a favour returned.
-- severity: high
-- doc: docs/rules.md#mutual_approval
-- action: Add approvers so the two admins no longer approve each other's requests.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by decision time
--   to TIMESTAMPTZ: period end (exclusive)
--   mutual_approval_days DOUBLE: how close together two approvals count as mutual
-- thresholds:
--   mutual_approval_days: checks.mutualApprovalDays (30)
WITH a AS (
  SELECT * FROM pim_approvals WHERE decision = 'approved' AND decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ
)
SELECT 'high' AS severity, 'principal_pair' AS subject_type, least(x.approver_id, x.requester_id) || '|' || greatest(x.approver_id, x.requester_id) AS subject_id,
       least(coalesce(x.approver_upn, x.approver_id), coalesce(x.requester_upn, x.requester_id)) || ' ↔ ' || greatest(coalesce(x.approver_upn, x.approver_id), coalesce(x.requester_upn, x.requester_id)) AS subject_name,
       'approved each other' AS observed, 'within ' || $mutual_approval_days || ' days' AS threshold,
       coalesce(x.approver_upn, x.approver_id) || ' approved ' || coalesce(x.requester_upn, x.requester_id) || ' (' || coalesce(x.role_name, '') || ') and ' ||
         coalesce(y.approver_upn, y.approver_id) || ' approved ' || coalesce(y.requester_upn, y.requester_id) || ' (' || coalesce(y.role_name, '') || ')' AS detail,
       min(least(x.decided_at, y.decided_at)) AS first_seen, max(greatest(x.decided_at, y.decided_at)) AS last_seen
FROM a x JOIN a y ON x.approver_id = y.requester_id AND x.requester_id = y.approver_id AND x.approver_id < x.requester_id
 AND abs(epoch(x.decided_at) - epoch(y.decided_at)) <= $mutual_approval_days::DOUBLE * 86400
WHERE x.relation <> 'self'
GROUP BY ALL
ORDER BY first_seen;
