-- id: check_role_setting_changes
-- title: Role settings changed
-- description: Every "Update role setting in PIM" in the period: who changed which role's settings
--   and what PIM says changed. A change that reads as a weakening (disabled, removed, no longer
--   required, longer duration) is medium; the rest are info.
-- severity: medium when the change reads as a weakening (disabled, removed, no longer required, longer duration), info otherwise
-- doc: docs/rules.md#role_setting_changes
-- action: Confirm the role setting change was planned, and revert it if it weakens the role.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive)
--   to TIMESTAMPTZ: period end (exclusive)
SELECT
       CASE WHEN regexp_matches(lower(coalesce(result_reason, '')), 'disabled|removed|not required|no longer|turned off|increased|permanent') THEN 'medium' ELSE 'info' END AS severity,
       'role' AS subject_type, role_id AS subject_id, coalesce(role_name, role_id) AS subject_name,
       coalesce(result_reason, '(no description)') AS observed, NULL AS threshold,
       coalesce(actor_upn, actor_name, actor_id, 'someone') || ' changed the settings of ' || coalesce(role_name, role_id, 'a role') || ': ' || coalesce(result_reason, '(no description)') AS detail,
       event_time AS first_seen, event_time AS last_seen
FROM int_pim_events
WHERE step = 'policy_updated' AND event_time >= $from::TIMESTAMPTZ AND event_time < $to::TIMESTAMPTZ
ORDER BY event_time;
