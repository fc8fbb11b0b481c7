-- id: check_break_glass_action
-- title: Break-glass account acted
-- description: Any audit record a break-glass account initiated in the period: these accounts exist to be unused.
-- severity: critical; info when no accounts are configured
-- doc: docs/rules.md#break_glass_action
-- action: Confirm with the account's owners why the break-glass account acted, and rotate its credentials if no one can say.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
--   break_glass_accounts VARCHAR[]: list of break-glass UPNs or object ids
-- thresholds:
--   break_glass_accounts: breakGlassAccounts
-- include: break_glass_ids
SELECT * FROM (
  SELECT 'critical' AS severity, 'account' AS subject_type, i.id AS subject_id, i.upn AS subject_name, count(*) || ' action(s)' AS observed, '0' AS threshold,
         i.upn || ' initiated ' || count(*) || ' audit record(s): ' || string_agg(DISTINCT e.activity, '; ' ORDER BY e.activity) AS detail,
         min(e.event_time) AS first_seen, max(e.event_time) AS last_seen
  FROM audit_events e JOIN ids i ON e.actor_id = i.id OR e.actor_upn = i.upn
  WHERE e.event_time >= $from::TIMESTAMPTZ AND e.event_time < $to::TIMESTAMPTZ
  GROUP BY i.id, i.upn
  UNION ALL
  SELECT 'info', 'check', 'break_glass_action', 'not configured', NULL, NULL, 'not computable: no break-glass accounts configured (breakGlassAccounts)', NULL, NULL
  WHERE NOT EXISTS (SELECT 1 FROM bg)
)
ORDER BY CASE severity WHEN 'critical' THEN 0 ELSE 1 END, first_seen;
