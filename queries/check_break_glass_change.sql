-- id: check_break_glass_change
-- title: Break-glass account changed
-- description: A change someone else made to a break-glass account in the period (PIM's own periodic notices
--   about an assignment are not changes).
-- severity: high; info when no accounts are configured
-- doc: docs/rules.md#break_glass_change
-- action: Confirm the change to the break-glass account was planned, and revert it if not.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
-- include: break_glass_ids
SELECT * FROM (
  -- PIM's periodic notices about an assignment are not changes to the account.
  SELECT 'high' AS severity, 'account' AS subject_type, i.id AS subject_id, i.upn AS subject_name, count(*) || ' change(s)' AS observed, '0' AS threshold,
         'changes to ' || i.upn || ': ' || string_agg(DISTINCT e.activity || ' by ' || coalesce(e.actor_upn, e.actor_name, '?'), '; ' ORDER BY e.activity || ' by ' || coalesce(e.actor_upn, e.actor_name, '?')) AS detail,
         min(e.event_time) AS first_seen, max(e.event_time) AS last_seen
  FROM audit_events e JOIN ids i ON e.principal_id = i.id OR e.principal_upn = i.upn
  WHERE e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
    AND NOT (e.actor_id = i.id OR e.actor_upn = i.upn)
    AND e.activity <> 'Add member to role outside of PIM (permanent)'
    AND NOT (e.actor_name IN ('MS-PIM', 'MS-PIM-Fairfax'))
  GROUP BY i.id, i.upn
  UNION ALL
  SELECT 'info', 'check', 'break_glass_change', 'not configured', NULL, NULL, 'not computable: no break-glass accounts configured (breakGlassAccounts)', NULL, NULL
  WHERE NOT EXISTS (SELECT 1 FROM bg)
)
ORDER BY CASE severity WHEN 'high' THEN 0 ELSE 1 END, first_seen;
