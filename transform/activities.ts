// The PIM activity names and what each step means. Matched exactly (a lookup table, not regexes
// built from docs). The names are those the Microsoft Learn page "Microsoft Entra audit log
// categories and activities" (learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities)
// lists for Privileged Identity Management; the step each one stands for is pimops' reading of the
// request lifecycle, described in docs/schema.md (int_pim_events, pim_requests). The same strings
// serve Entra roles, PIM for Groups and Azure resources; the audit category tells the plane.

export type Step =
  | 'act_requested'
  | 'approval_requested'
  | 'approved'
  | 'denied'
  | 'approval_expired'
  | 'canceled'
  | 'activated'
  | 'deact_requested'
  | 'deactivated'
  | 'expired'
  | 'assign_requested'
  | 'assigned'
  | 'assign_canceled'
  | 'remove_requested'
  | 'removed'
  | 'extend_requested'
  | 'extend_approved'
  | 'extend_denied'
  | 'extend_canceled'
  | 'outside_pim'
  | 'policy_updated';

export interface ActivityRow {
  activity: string;
  step: Step;
  requestType: 'activate' | 'deactivate' | 'assign_eligible' | 'assign_active' | 'remove' | 'extend' | 'renew' | null;
  kind: 'eligible' | 'active' | null;
  permanent: boolean | null;
}

const row = (
  activity: string,
  step: Step,
  requestType: ActivityRow['requestType'],
  kind: ActivityRow['kind'] = null,
  permanent: boolean | null = null,
): ActivityRow => ({ activity, step, requestType, kind, permanent });

export const PIM_ACTIVITIES: ActivityRow[] = [
  row('Add member to role requested (PIM activation)', 'act_requested', 'activate', 'active', false),
  row('Add member to role approval requested (PIM activation)', 'approval_requested', 'activate', 'active', false),
  row('Add member to role request approved (PIM activation)', 'approved', 'activate', 'active', false),
  row('Add member to role request denied (PIM activation)', 'denied', 'activate', 'active', false),
  row('PIM activation request expired', 'approval_expired', 'activate', 'active', false),
  row('Add member to role canceled (PIM activation)', 'canceled', 'activate', 'active', false),
  row('Add member to role completed (PIM activation)', 'activated', 'activate', 'active', false),
  row('Remove member from role requested (PIM deactivate)', 'deact_requested', 'deactivate', 'active', false),
  row('Remove member from role completed (PIM deactivate)', 'deactivated', 'deactivate', 'active', false),
  row('Remove member from role (PIM activation expired)', 'expired', null, 'active', false),

  row(
    'Add eligible member to role in PIM requested (permanent)',
    'assign_requested',
    'assign_eligible',
    'eligible',
    true,
  ),
  row(
    'Add eligible member to role in PIM requested (timebound)',
    'assign_requested',
    'assign_eligible',
    'eligible',
    false,
  ),
  row('Add eligible member to role in PIM completed (permanent)', 'assigned', 'assign_eligible', 'eligible', true),
  row('Add eligible member to role in PIM completed (timebound)', 'assigned', 'assign_eligible', 'eligible', false),
  row(
    'Add eligible member to role in PIM canceled (permanent)',
    'assign_canceled',
    'assign_eligible',
    'eligible',
    true,
  ),
  row(
    'Add eligible member to role in PIM canceled (timebound)',
    'assign_canceled',
    'assign_eligible',
    'eligible',
    false,
  ),
  row('Add member to role in PIM requested (permanent)', 'assign_requested', 'assign_active', 'active', true),
  row('Add member to role in PIM requested (timebound)', 'assign_requested', 'assign_active', 'active', false),
  row('Add member to role in PIM completed (permanent)', 'assigned', 'assign_active', 'active', true),
  row('Add member to role in PIM completed (timebound)', 'assigned', 'assign_active', 'active', false),
  row('Add member to role in PIM canceled (timebound)', 'assign_canceled', 'assign_active', 'active', false),

  row('Remove eligible member from role in PIM requested (permanent)', 'remove_requested', 'remove', 'eligible', true),
  row('Remove eligible member from role in PIM requested (timebound)', 'remove_requested', 'remove', 'eligible', false),
  row('Remove eligible member from role in PIM completed (permanent)', 'removed', 'remove', 'eligible', true),
  row('Remove eligible member from role in PIM completed (timebound)', 'removed', 'remove', 'eligible', false),
  row('Remove member from role in PIM requested (permanent)', 'remove_requested', 'remove', 'active', true),
  row('Remove member from role in PIM requested (timebound)', 'remove_requested', 'remove', 'active', false),
  row('Remove member from role in PIM completed (permanent)', 'removed', 'remove', 'active', true),
  row('Remove member from role in PIM completed (timebound)', 'removed', 'remove', 'active', false),
  row('Remove permanent direct role assignment', 'removed', 'remove', 'active', true),
  row('Remove permanent eligible role assignment', 'removed', 'remove', 'eligible', true),

  row('Add eligible member to role in PIM requested (renew)', 'extend_requested', 'renew', 'eligible'),
  row('Add eligible member to role in PIM canceled (renew)', 'extend_canceled', 'renew', 'eligible'),
  row('Add member to role in PIM requested (renew)', 'extend_requested', 'renew', 'active'),
  row('Add member to role in PIM canceled (renew)', 'extend_canceled', 'renew', 'active'),
  row('Update eligible member in PIM requested (extend)', 'extend_requested', 'extend', 'eligible'),
  row('Update eligible member in PIM canceled (extend)', 'extend_canceled', 'extend', 'eligible'),
  row('Update member in PIM requested (extend)', 'extend_requested', 'extend', 'active'),
  row('Update member in PIM canceled (extend)', 'extend_canceled', 'extend', 'active'),
  row('Update member in PIM approved by admin (extend/renew)', 'extend_approved', null),
  row('Update member in PIM denied by admin (extend/renew)', 'extend_denied', null),

  row('Add member to role outside of PIM (permanent)', 'outside_pim', null, 'active', true),
  row('Update role setting in PIM', 'policy_updated', null),
];

/** Core Directory role membership records: PIM's companions when MS-PIM initiated them, else assignments outside PIM. */
export const DIRECTORY_ROLE_ACTIVITIES = { add: 'Add member to role', remove: 'Remove member from role' } as const;
export const PIM_SERVICES = ['PIM', 'Privileged Identity Management'];
export const PIM_APP_NAMES = ['MS-PIM', 'MS-PIM-Fairfax'];

export function activityMapValuesSql(): string {
  const q = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);
  return PIM_ACTIVITIES.map(
    (r) =>
      `(${q(r.activity)}, ${q(r.step)}, ${q(r.requestType)}, ${q(r.kind)}, ${r.permanent === null ? 'NULL' : r.permanent})`,
  ).join(',\n');
}
