-- id: check_break_glass_credential_age
-- title: Break-glass password too old
-- description: A break-glass account whose password (directory snapshot) was last changed longer ago than the limit.
-- severity: medium; info when no accounts are configured, or (not computable) for an account the snapshot has no password date for
-- doc: docs/rules.md#break_glass_credential_age
-- action: Rotate the break-glass account's password and store the new one as your procedure says.
-- parameters:
--   as_of TIMESTAMPTZ: for the credential age
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
--   max_credential_age_days DOUBLE: password age above which an account is flagged
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
--   max_credential_age_days: checks.breakGlassMaxCredentialAgeDays (365)
-- include: break_glass_ids
SELECT 'medium' AS severity, 'account' AS subject_type, i.id AS subject_id, i.upn AS subject_name,
       round((epoch($as_of::TIMESTAMPTZ) - epoch(u.last_password_change)) / 86400) || ' days' AS observed, '≤ ' || $max_credential_age_days || ' days' AS threshold,
       i.upn || ' password last changed ' || strftime(u.last_password_change, '%Y-%m-%d') AS detail, u.last_password_change AS first_seen, u.last_password_change AS last_seen
FROM ids i JOIN (SELECT user_id, arg_max(last_password_change, observed_at) AS last_password_change FROM directory_users WHERE observed_at <= $as_of::TIMESTAMPTZ GROUP BY user_id) u ON u.user_id = i.id
WHERE (epoch($as_of::TIMESTAMPTZ) - epoch(u.last_password_change)) / 86400 > $max_credential_age_days::DOUBLE
UNION ALL
-- An account the snapshot does not have, or has without a password date, is not judged: say so.
SELECT 'info', 'account', coalesce(i.id, i.acct), coalesce(i.upn, i.acct), 'password date unknown', '≤ ' || $max_credential_age_days || ' days',
       'not computable for ' || coalesce(i.upn, i.acct) || ': ' ||
         CASE WHEN u.user_id IS NULL THEN 'the directory snapshot does not have this account (run pimops ingest snapshot; User.Read.All)'
              ELSE 'the directory snapshot has no lastPasswordChangeDateTime for it' END,
       NULL, NULL
FROM ids i LEFT JOIN (SELECT user_id, arg_max(last_password_change, observed_at) AS last_password_change FROM directory_users WHERE observed_at <= $as_of::TIMESTAMPTZ GROUP BY user_id) u ON u.user_id = i.id
WHERE u.last_password_change IS NULL
UNION ALL
SELECT 'info', 'check', 'break_glass_credential_age', 'not configured', NULL, NULL, 'not computable: no break-glass accounts configured (breakGlassAccounts)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM bg)
ORDER BY severity, subject_name;
