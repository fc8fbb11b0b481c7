-- id: pseudonym_identities
-- title: Identities a pseudonymized report replaces
-- description: Every string that names a person or an object in the store (object ids, UPNs, display
--   names, managers) from audit records, the directory snapshot, role assignments and sign-ins:
--   report --pseudonymize replaces each one it finds with a keyed alias. Strings of three characters
--   or fewer and PIM's own service names are left out, as replacing them would mangle ordinary text.
-- columns:
--   v: the identifying string, once
SELECT DISTINCT v FROM (
  SELECT unnest([principal_id, principal_upn, actor_id, actor_upn, principal_name, actor_name]) AS v FROM audit_events
  UNION ALL SELECT unnest([user_id, user_principal_name, display_name, manager_id]) FROM directory_users
  UNION ALL SELECT unnest([principal_id, principal_upn]) FROM role_assignments
  UNION ALL SELECT unnest([user_id, user_principal_name]) FROM sign_ins)
WHERE v IS NOT NULL AND length(v) > 3 AND v NOT IN ('MS-PIM', 'MS-PIM-Fairfax', 'Azure AD PIM')
