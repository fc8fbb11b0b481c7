-- id: check_ticket_not_required
-- title: Activation without a ticket
-- description: Role settings (newest snapshot at or before as-of) that let a role be activated without a ticket, where
--   the tenant uses tickets (checks.requireTicket).
-- severity: low; info when not computable
-- doc: docs/rules.md#ticket_not_required
-- action: Require ticket information on activation in the role's PIM settings.
-- parameters:
--   as_of TIMESTAMPTZ: which snapshot to read (the newest at or before it)
--   tier0_roles VARCHAR[]: list of extra tier-0 role names or ids
--   tier0_azure_roles VARCHAR[]: Azure role definition ids that are tier 0 at subscription or management-group scope
--   require_ticket BOOLEAN: whether a missing ticket requirement is a finding
-- thresholds:
--   require_ticket: checks.requireTicket (false)
--   tier0_roles: checks.tier0Roles
--   tier0_azure_roles: checks.tier0AzureRoles
SELECT 'low' AS severity, subject_kind AS subject_type, subject AS subject_id, name AS subject_name,
       'ticket not required' AS observed, 'ticket required' AS threshold, name || ': activation does not require a ticket' AS detail, observed_at AS first_seen, observed_at AS last_seen
FROM role_settings_at($as_of::TIMESTAMPTZ, to_json($tier0_roles::VARCHAR[])::VARCHAR, to_json($tier0_azure_roles::VARCHAR[])::VARCHAR)
WHERE $require_ticket::BOOLEAN AND NOT coalesce(ticket_required, false)
UNION ALL
SELECT 'info', 'check', 'ticket_not_required', 'not computable', NULL, NULL,
       'not computable: no role-settings snapshot at or before as-of; run pimops ingest snapshot (needs RoleManagementPolicy.Read.Directory)', NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM role_policies WHERE observed_at <= $as_of::TIMESTAMPTZ)
ORDER BY severity, subject_name;
