-- id: evidence_role_settings
-- title: Role settings history over a period
-- description: The PIM role settings in force at the start of [from, to) (the newest snapshot at or
--   before `from`) and every later observation up to `to` (a snapshot taken as the period closes is its end), per role, marking where a
--   setting differs from the role's previous observation. Changes made between snapshots are in
--   the role_setting_changes findings, from the audit log.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   observed_at: the snapshot
--   at_start: this observation is the one in force when the period began
--   changed: a setting differs from the role's previous observation (NULL: none before)
--   role_id, role_name, max_activation, mfa_required, justification_required, ticket_required, auth_context
--   approval_required, approvers, approval_timeout_days, permanent_eligible_allowed, permanent_active_allowed
WITH start AS (SELECT max(observed_at) AS at FROM role_policies WHERE observed_at <= $from::TIMESTAMPTZ),
p AS (
  SELECT p.*, lag(md5(concat_ws('|', max_activation, mfa_required, justification_required, ticket_required, auth_context_enabled,
           auth_context, approval_required, approvers, list_sort(approver_ids), approval_timeout_days,
           permanent_eligible_allowed, permanent_active_allowed))) OVER w AS before,
         md5(concat_ws('|', max_activation, mfa_required, justification_required, ticket_required, auth_context_enabled,
           auth_context, approval_required, approvers, list_sort(approver_ids), approval_timeout_days,
           permanent_eligible_allowed, permanent_active_allowed)) AS now
  FROM role_policies p
  WINDOW w AS (PARTITION BY role_id ORDER BY observed_at)
)
SELECT p.observed_at, coalesce(p.observed_at = start.at, false) AS at_start, CASE WHEN p.before IS NULL THEN NULL ELSE p.before <> p.now END AS changed,
       p.role_id, (SELECT arg_max(d.role_name, d.observed_at) FROM role_definitions d WHERE d.role_id = p.role_id) AS role_name,
       p.max_activation, p.mfa_required, p.justification_required, p.ticket_required,
       CASE WHEN p.auth_context_enabled THEN p.auth_context END AS auth_context,
       p.approval_required, p.approvers, p.approval_timeout_days, p.permanent_eligible_allowed, p.permanent_active_allowed
FROM p, start
WHERE p.observed_at = start.at OR (p.observed_at > $from::TIMESTAMPTZ AND p.observed_at <= $to::TIMESTAMPTZ)
ORDER BY p.observed_at, role_name, p.role_id;
