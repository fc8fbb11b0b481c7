-- id: watchlist_break_glass
-- title: Break-glass accounts (Sentinel watchlist)
-- description: The configured emergency-access accounts with their object id and UPN where the
--   users snapshot knows both, so rules over SigninLogs and AuditLogs match either. SearchKey is
--   the UPN (lower case) when known, else the configured value.
-- parameters:
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
-- columns:
--   account: the configured value
--   user_principal_name, user_id, display_name: from the newest users snapshot, when it has the account
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
WITH bg AS (SELECT lower(unnest($break_glass_accounts::VARCHAR[])) AS account),
users AS (
  SELECT user_id, arg_max(user_principal_name, observed_at) AS user_principal_name, arg_max(display_name, observed_at) AS display_name
  FROM directory_users GROUP BY user_id
)
SELECT bg.account, lower(coalesce(u.user_principal_name, CASE WHEN bg.account LIKE '%@%' THEN bg.account END)) AS user_principal_name,
       coalesce(u.user_id, CASE WHEN bg.account NOT LIKE '%@%' THEN bg.account END) AS user_id, u.display_name
FROM bg LEFT JOIN users u ON lower(u.user_principal_name) = bg.account OR lower(u.user_id) = bg.account
ORDER BY bg.account;
