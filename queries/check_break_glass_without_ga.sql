-- id: check_break_glass_without_ga
-- title: Break-glass account without standing Global Administrator
-- description: A break-glass account that does not hold a standing (active, permanent) Global Administrator
--   assignment at as-of. From audit replay alone this is info: replay cannot see assignments older
--   than the first record, a snapshot can.
-- severity: high when a role snapshot says so; info from audit replay alone, or when no accounts are configured
-- doc: docs/rules.md#break_glass_without_ga
-- action: Give the break-glass account a permanent active Global Administrator assignment.
-- parameters:
--   as_of TIMESTAMPTZ: for the standing role
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
-- include: break_glass_ids
,
standing AS (
  SELECT i.id, i.upn,
         EXISTS (SELECT 1 FROM role_assignments a WHERE a.kind = 'active' AND a.role_id = '62e90394-69f5-4237-9190-012177145e10'
                   AND (a.principal_id = i.id OR a.principal_upn = i.upn) AND coalesce(a.start_at, a.observed_at) <= $as_of::TIMESTAMPTZ
                   AND coalesce(a.removed_at, a.end_at, 'infinity'::TIMESTAMPTZ) > $as_of::TIMESTAMPTZ
                   AND (a.source = 'audit_replay' OR a.observed_at = (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ))) AS holds,
         (SELECT count(*) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ) > 0 AS from_snapshot
  FROM ids i
)
SELECT CASE WHEN from_snapshot THEN 'high' ELSE 'info' END AS severity, 'account' AS subject_type, id AS subject_id, upn AS subject_name,
       'no standing Global Administrator' AS observed, 'standing Global Administrator' AS threshold,
       upn || ' does not hold a standing Global Administrator assignment' || CASE WHEN from_snapshot THEN '' ELSE ' as far as audit replay sees (it cannot see assignments older than the first record; a snapshot would tell)' END AS detail,
       NULL::TIMESTAMPTZ AS first_seen, NULL::TIMESTAMPTZ AS last_seen
FROM standing WHERE NOT holds
UNION ALL
SELECT 'info', 'check', 'break_glass_without_ga', 'not configured', NULL, NULL, 'not computable: no break-glass accounts configured (breakGlassAccounts)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM bg)
ORDER BY severity, subject_name;
