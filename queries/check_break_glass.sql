-- id: check_break_glass
-- title: Break-glass accounts
-- description: Any sign-in of a break-glass account and any audit record it initiated is critical
--   (these accounts exist to be unused); a change made to one is high; an account that no longer
--   holds its standing Global Administrator is high; a password older than the limit is medium.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   as_of TIMESTAMPTZ: for the standing role and the credential age
--   break_glass_accounts VARCHAR: JSON list of break-glass UPNs or object ids
--   max_credential_age_days DOUBLE: password age above which an account is flagged
-- columns:
--   check_id, severity, subject_type, subject_id, subject_name, observed, threshold, detail, first_seen, last_seen
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
--   max_credential_age_days: checks.breakGlassMaxCredentialAgeDays (365)
WITH bg AS (SELECT lower(unnest(from_json($break_glass_accounts, '["VARCHAR"]'))) AS acct),
ids AS (
  -- Each account as (id, upn) wherever the data connects them.
  SELECT DISTINCT acct, coalesce(u.user_id, p.principal_id, CASE WHEN regexp_matches(acct, '^[0-9a-f-]{36}$') THEN acct END) AS id,
         coalesce(u.user_principal_name, p.principal_upn, CASE WHEN NOT regexp_matches(acct, '^[0-9a-f-]{36}$') THEN acct END) AS upn
  FROM bg
  LEFT JOIN directory_users u ON u.user_id = bg.acct OR u.user_principal_name = bg.acct
  LEFT JOIN (SELECT DISTINCT principal_id, principal_upn FROM audit_events WHERE principal_upn IS NOT NULL) p ON p.principal_id = bg.acct OR p.principal_upn = bg.acct
),
signins AS (
  SELECT 'critical' AS severity, 'account' AS subject_type, coalesce(i.id, s.user_id) AS subject_id, coalesce(i.upn, s.user_principal_name) AS subject_name,
         count(*) || ' sign-in(s)' AS observed, '0' AS threshold,
         coalesce(i.upn, s.user_principal_name) || ' signed in ' || count(*) || ' time(s) (' || string_agg(DISTINCT coalesce(s.app_display_name, '?'), ', ' ORDER BY coalesce(s.app_display_name, '?')) || ' from ' || string_agg(DISTINCT coalesce(s.ip_address, '?'), ', ' ORDER BY coalesce(s.ip_address, '?')) || ')' AS detail,
         min(s.created_at) AS first_seen, max(s.created_at) AS last_seen
  FROM sign_ins s JOIN ids i ON s.user_id = i.id OR s.user_principal_name = i.upn
  WHERE s.created_at >= $from::TIMESTAMPTZ AND s.created_at < $to::TIMESTAMPTZ
  GROUP BY coalesce(i.id, s.user_id), coalesce(i.upn, s.user_principal_name)
),
actions AS (
  SELECT 'critical', 'account', i.id, i.upn, count(*) || ' action(s)', '0',
         i.upn || ' initiated ' || count(*) || ' audit record(s): ' || string_agg(DISTINCT e.activity, '; ' ORDER BY e.activity),
         min(e.event_time), max(e.event_time)
  FROM audit_events e JOIN ids i ON e.actor_id = i.id OR e.actor_upn = i.upn
  WHERE e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
  GROUP BY i.id, i.upn
),
changes AS (
  -- PIM's periodic notices about an assignment are not changes to the account.
  SELECT 'high', 'account', i.id, i.upn, count(*) || ' change(s)', '0',
         'changes to ' || i.upn || ': ' || string_agg(DISTINCT e.activity || ' by ' || coalesce(e.actor_upn, e.actor_name, '?'), '; ' ORDER BY e.activity || ' by ' || coalesce(e.actor_upn, e.actor_name, '?')),
         min(e.event_time), max(e.event_time)
  FROM audit_events e JOIN ids i ON e.principal_id = i.id OR e.principal_upn = i.upn
  WHERE e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
    AND NOT (e.actor_id = i.id OR e.actor_upn = i.upn)
    AND e.activity <> 'Add member to role outside of PIM (permanent)'
    AND NOT (e.actor_name IN ('MS-PIM', 'MS-PIM-Fairfax'))
  GROUP BY i.id, i.upn
),
standing AS (
  SELECT i.id, i.upn,
         EXISTS (SELECT 1 FROM role_assignments a WHERE a.kind = 'active' AND a.role_id = '62e90394-69f5-4237-9190-012177145e10'
                   AND (a.principal_id = i.id OR a.principal_upn = i.upn) AND coalesce(a.start_at, a.observed_at) <= $as_of::TIMESTAMPTZ
                   AND coalesce(a.removed_at, a.end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
                   AND (a.source = 'audit_replay' OR a.observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))) AS holds,
         (SELECT count(*) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ) > 0 AS from_snapshot
  FROM ids i
),
no_ga AS (
  SELECT CASE WHEN from_snapshot THEN 'high' ELSE 'info' END, 'account', id, upn, 'no standing Global Administrator', 'standing Global Administrator',
         upn || ' does not hold a standing Global Administrator assignment' || CASE WHEN from_snapshot THEN '' ELSE ' as far as audit replay sees (it cannot see assignments older than the first record; a snapshot would tell)' END,
         NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ
  FROM standing WHERE NOT holds
),
credential AS (
  SELECT 'medium', 'account', i.id, i.upn, round((epoch($as_of::TIMESTAMPTZ) - epoch(u.last_password_change)) / 86400) || ' days', '≤ ' || $max_credential_age_days || ' days',
         i.upn || ' password last changed ' || strftime(u.last_password_change, '%Y-%m-%d'), u.last_password_change, u.last_password_change
  FROM ids i JOIN (SELECT user_id, arg_max(last_password_change, observed_at) AS last_password_change FROM directory_users WHERE observed_at <= $as_of::TIMESTAMPTZ GROUP BY user_id) u ON u.user_id = i.id
  WHERE (epoch($as_of::TIMESTAMPTZ) - epoch(u.last_password_change)) / 86400 > $max_credential_age_days::DOUBLE
)
SELECT 'check_break_glass' AS check_id, * FROM (
  SELECT * FROM signins UNION ALL SELECT * FROM actions UNION ALL SELECT * FROM changes UNION ALL SELECT * FROM no_ga UNION ALL SELECT * FROM credential
  UNION ALL
  SELECT 'info', 'check', 'check_break_glass', 'not configured', NULL, NULL, 'not computable: no break-glass accounts configured (breakGlassAccounts)', NULL, NULL
  WHERE NOT EXISTS (SELECT 1 FROM bg)
  UNION ALL
  SELECT 'info', 'check', 'check_break_glass', 'sign-ins unknown', NULL, NULL,
         'break-glass sign-ins not computable: no sign-in data; run pimops ingest graph (AuditLog.Read.All, Entra ID P1) or ingest log-analytics (SigninLogs)', NULL, NULL
  WHERE EXISTS (SELECT 1 FROM bg) AND NOT EXISTS (SELECT 1 FROM landing_files WHERE shape = 'snapshot:signIns')
)
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, first_seen;
