-- id: check_break_glass_sign_in
-- title: Break-glass account signed in
-- description: Any sign-in of a break-glass account in the period: these accounts exist to be unused.
--   Interactive and non-interactive sign-ins both count (a refresh token or a script is use too).
--   Without sign-in data (or without accounts configured) it says it is not computable; with
--   interactive data only, it says non-interactive use is not covered.
-- severity: critical; info when not computable
-- doc: docs/rules.md#break_glass_sign_in
-- action: Confirm with the account's owners why the break-glass account signed in, and rotate its credentials if no one can say.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
-- include: break_glass_ids
SELECT * FROM (
  SELECT 'critical' AS severity, 'account' AS subject_type, coalesce(i.id, s.user_id) AS subject_id, coalesce(i.upn, s.user_principal_name) AS subject_name,
         count(*) || ' sign-in(s)' AS observed, '0' AS threshold,
         coalesce(i.upn, s.user_principal_name) || ' signed in ' || count(*) || ' time(s)' ||
           CASE WHEN count(*) FILTER (WHERE s.event_type = 'nonInteractiveUser') > 0
                THEN ', ' || count(*) FILTER (WHERE s.event_type = 'nonInteractiveUser') || ' of them non-interactive' ELSE '' END || ' (' || string_agg(DISTINCT coalesce(s.app_display_name, '?'), ', ' ORDER BY coalesce(s.app_display_name, '?')) || ' from ' || string_agg(DISTINCT coalesce(s.ip_address, '?'), ', ' ORDER BY coalesce(s.ip_address, '?')) || ')' AS detail,
         min(s.created_at) AS first_seen, max(s.created_at) AS last_seen
  FROM sign_ins s JOIN ids i ON s.user_id = i.id OR s.user_principal_name = i.upn
  WHERE s.created_at >= $from::TIMESTAMPTZ AND s.created_at < $to::TIMESTAMPTZ
  GROUP BY coalesce(i.id, s.user_id), coalesce(i.upn, s.user_principal_name)
  UNION ALL
  SELECT 'info', 'check', 'break_glass_sign_in', 'not configured', NULL, NULL, 'not computable: no break-glass accounts configured (breakGlassAccounts)', NULL, NULL
  WHERE NOT EXISTS (SELECT 1 FROM bg)
  UNION ALL
  SELECT 'info', 'check', 'break_glass_sign_in', 'sign-ins unknown', NULL, NULL,
         'break-glass sign-ins not computable: no sign-in data; run pimops ingest graph (AuditLog.Read.All, Entra ID P1) or ingest log-analytics (SigninLogs)', NULL, NULL
  WHERE EXISTS (SELECT 1 FROM bg) AND NOT EXISTS (SELECT 1 FROM landing_files WHERE shape = 'snapshot:signIns')
  UNION ALL
  SELECT 'info', 'check', 'break_glass_sign_in', 'non-interactive sign-ins unknown', NULL, NULL,
         'non-interactive break-glass use (a refresh token, a script) not covered: set azure.betaSignIns for ingest graph, or ingest log-analytics with AADNonInteractiveUserSignInLogs in the workspace', NULL, NULL
  WHERE EXISTS (SELECT 1 FROM bg) AND EXISTS (SELECT 1 FROM landing_files WHERE shape = 'snapshot:signIns')
    AND NOT EXISTS (SELECT 1 FROM landing_files WHERE shape = 'snapshot:signIns:nonInteractive')
)
ORDER BY CASE severity WHEN 'critical' THEN 0 ELSE 1 END, first_seen;
