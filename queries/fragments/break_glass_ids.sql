-- fragment: break_glass_ids
-- Included by the break-glass rules (`-- include: break_glass_ids`): each configured account
-- ($break_glass_accounts) as (acct, id, upn), wherever the users snapshot or the audit log connects an
-- object id and a UPN. Ends with the CTE `ids`; the including query continues with its SELECT or `, name AS (`.
WITH bg AS (SELECT lower(unnest($break_glass_accounts::VARCHAR[])) AS acct),
ids AS (
  -- Each account as (id, upn) wherever the data connects them.
  SELECT DISTINCT acct, coalesce(u.user_id, p.principal_id, CASE WHEN regexp_matches(acct, '^[0-9a-f-]{36}$') THEN acct END) AS id,
         coalesce(u.user_principal_name, p.principal_upn, CASE WHEN NOT regexp_matches(acct, '^[0-9a-f-]{36}$') THEN acct END) AS upn
  FROM bg
  LEFT JOIN directory_users u ON u.user_id = bg.acct OR u.user_principal_name = bg.acct
  LEFT JOIN (SELECT DISTINCT principal_id, principal_upn FROM audit_events WHERE principal_upn IS NOT NULL) p ON p.principal_id = bg.acct OR p.principal_upn = bg.acct
)
