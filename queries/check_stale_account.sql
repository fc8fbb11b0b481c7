-- id: check_stale_account
-- title: Stale account in a privileged role
-- description: PIM's "potential stale accounts in a privileged role" alert, from the logs: someone
--   holding a privileged role at as-of whose last sign-in (directory snapshot) is older than the limit.
--   A holder whose snapshot row has no signInActivity (licence, permission, throttling) is not judged:
--   the rule says it is not computable for that account, and why.
-- severity: medium; info (not computable) for a holder the snapshot has no sign-in data for
-- doc: docs/rules.md#stale_account
-- action: Remove the role from the account that no longer signs in, or disable the account.
-- parameters:
--   as_of TIMESTAMPTZ: for who holds what
--   stale_sign_in_days DOUBLE: days without a sign-in for a privileged account
-- thresholds:
--   stale_sign_in_days: detections.staleSignInDays (90)
WITH held AS (
  SELECT * FROM role_assignments
  WHERE coalesce(start_at, observed_at) <= $as_of::TIMESTAMPTZ AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
    AND (source = 'audit_replay' AND NOT EXISTS (SELECT 1 FROM role_assignments s WHERE s.source = 'snapshot' AND s.observed_at <= $as_of::TIMESTAMPTZ)
         OR source = 'snapshot' AND observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))
),
users AS (
  SELECT user_id, arg_max(user_principal_name, observed_at) AS user_principal_name, arg_max(last_sign_in, observed_at) AS last_sign_in,
         -- Rows from before sign_in_known existed carried signInActivity whenever Graph gave it.
         arg_max(coalesce(sign_in_known, true), observed_at) AS sign_in_known, arg_max(sign_in_missing, observed_at) AS sign_in_missing
  FROM directory_users WHERE observed_at <= $as_of::TIMESTAMPTZ GROUP BY user_id
)
SELECT 'medium' AS severity, 'account' AS subject_type, u.user_id AS subject_id, coalesce(u.user_principal_name, u.user_id) AS subject_name,
       coalesce('last sign-in ' || strftime(u.last_sign_in, '%Y-%m-%d'), 'no sign-in recorded') AS observed,
       'within ' || $stale_sign_in_days || ' days' AS threshold,
       coalesce(u.user_principal_name, u.user_id) || ' holds ' || string_agg(DISTINCT coalesce(h.role_name, h.role_id), ', ' ORDER BY coalesce(h.role_name, h.role_id)) || ' and has not signed in for ' || $stale_sign_in_days || '+ days' AS detail,
       u.last_sign_in AS first_seen, u.last_sign_in AS last_seen
FROM held h JOIN users u ON u.user_id = h.principal_id
JOIN roles r ON r.role_id = h.role_id AND r.privileged
WHERE u.sign_in_known AND (u.last_sign_in IS NULL OR u.last_sign_in < $as_of::TIMESTAMPTZ - to_days(CAST($stale_sign_in_days AS INTEGER)))
GROUP BY u.user_id, u.user_principal_name, u.last_sign_in
UNION ALL
SELECT 'info', 'account', u.user_id, coalesce(u.user_principal_name, u.user_id), 'sign-in data unknown', 'within ' || $stale_sign_in_days || ' days',
       'not computable for ' || coalesce(u.user_principal_name, u.user_id) || ' (holds ' || string_agg(DISTINCT coalesce(h.role_name, h.role_id), ', ' ORDER BY coalesce(h.role_name, h.role_id)) ||
         '): ' || coalesce(any_value(u.sign_in_missing), 'the snapshot has no signInActivity for this user'),
       NULL, NULL
FROM held h JOIN users u ON u.user_id = h.principal_id
JOIN roles r ON r.role_id = h.role_id AND r.privileged
WHERE NOT u.sign_in_known
GROUP BY u.user_id, u.user_principal_name
ORDER BY subject_name;
