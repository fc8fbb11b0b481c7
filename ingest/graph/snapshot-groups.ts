// PIM for Groups state (issue 23): Graph lists its schedule instances and policies only per group
// (a $filter on groupId is required), so the groups come first: the role-assignable ones, and any
// group the audit log shows PIM managing (PIM for Groups also governs groups that cannot hold roles).
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import type { PullOutcome } from '../../core/gaps.js';
import { landRecords } from '../landed-records.js';
import { encodePath, getAll } from './snapshot.js';

export const GROUP_PERMISSIONS = {
  pimGroups: 'GroupMember.Read.All',
  groupEligibilityScheduleInstances: 'PrivilegedEligibilitySchedule.Read.AzureADGroup',
  groupAssignmentScheduleInstances: 'PrivilegedAssignmentSchedule.Read.AzureADGroup',
  groupPolicyAssignments: 'RoleManagementPolicy.Read.AzureADGroup',
} as const;

type Endpoint = keyof typeof GROUP_PERMISSIONS;

const q = (id: string) => `'${id.replaceAll("'", "''")}'`;
const GROUP_IDS_PER_REQUEST = 15;

function why(err: unknown, endpoint: Endpoint): string {
  const e = err as { statusCode?: number; message?: string };
  if (e.statusCode === 403) return `403: grant ${GROUP_PERMISSIONS[endpoint]} (application, admin consent)`;
  return `${e.statusCode ?? ''} ${String(e.message ?? err).split('\n')[0]}`.trim();
}

export interface GroupSnapshotResult {
  endpoints: (PullOutcome & { records: number })[];
  landed: ManifestEntry[];
  /** Principals the instances name (their users are pulled with the others). */
  principals: string[];
}

export async function pullGroupSnapshot(
  client: Client,
  store: LandingStore,
  observedAt: string,
  /** Groups the audit log shows under PIM for Groups (scope ids of plane 'group'). */
  loggedGroups: readonly string[] = [],
  tenantId?: string,
): Promise<GroupSnapshotResult> {
  const result: GroupSnapshotResult = { endpoints: [], landed: [], principals: [] };
  const errors = new Map<Endpoint, string>();
  const groups = new Map<string, Record<string, unknown>>();
  try {
    for (const g of (await getAll(
      client,
      encodePath('/groups?$filter=isAssignableToRole eq true&$select=id,displayName'),
    )) as Record<string, unknown>[])
      groups.set(String(g.id).toLowerCase(), g);
    const missing = [...new Set(loggedGroups.map((g) => g.toLowerCase()))].filter((g) => !groups.has(g)).sort();
    for (let i = 0; i < missing.length; i += GROUP_IDS_PER_REQUEST) {
      const batch = missing.slice(i, i + GROUP_IDS_PER_REQUEST);
      const found = (await getAll(
        client,
        encodePath(`/groups?$filter=id in (${batch.map(q).join(',')})&$select=id,displayName`),
      )) as Record<string, unknown>[];
      for (const g of found) groups.set(String(g.id).toLowerCase(), g);
    }
  } catch (err) {
    errors.set('pimGroups', why(err, 'pimGroups'));
  }
  const items: Record<Endpoint, unknown[]> = {
    pimGroups: [...groups.values()],
    groupEligibilityScheduleInstances: [],
    groupAssignmentScheduleInstances: [],
    groupPolicyAssignments: [],
  };
  const paths: [Exclude<Endpoint, 'pimGroups'>, (id: string) => string][] = [
    [
      'groupEligibilityScheduleInstances',
      (id) =>
        `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId eq ${q(id)}&$expand=principal`,
    ],
    [
      'groupAssignmentScheduleInstances',
      (id) =>
        `/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq ${q(id)}&$expand=principal`,
    ],
    [
      'groupPolicyAssignments',
      (id) =>
        `/policies/roleManagementPolicyAssignments?$filter=scopeId eq ${q(id)} and scopeType eq 'Group'&$expand=policy($expand=rules)`,
    ],
  ];
  for (const id of [...groups.keys()].sort()) {
    for (const [endpoint, path] of paths) {
      try {
        items[endpoint].push(...(await getAll(client, encodePath(path(id)))));
      } catch (err) {
        // One refusal per endpoint says it all (a permission is tenant-wide); the other groups are still asked.
        if (!errors.has(endpoint)) errors.set(endpoint, why(err, endpoint));
      }
    }
  }
  const principals = new Set<string>();
  for (const endpoint of Object.keys(items) as Endpoint[]) {
    if (endpoint.endsWith('ScheduleInstances'))
      for (const i of items[endpoint] as { principalId?: string }[]) if (i.principalId) principals.add(i.principalId);
    const { entry, isNew } = landRecords(store, items[endpoint], {
      originalPath: `graph-snapshot:${endpoint}@${observedAt}`,
      shape: `snapshot:${endpoint}`,
      flavor: 'snapshot',
      source: 'snapshot',
      endpoint,
      observedAt,
      tenantId,
    });
    if (isNew) result.landed.push(entry);
    result.endpoints.push({ name: endpoint, records: items[endpoint].length, error: errors.get(endpoint) });
  }
  result.principals = [...principals].sort();
  return result;
}
