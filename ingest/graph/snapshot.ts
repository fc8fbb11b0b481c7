// `pimops ingest snapshot`: the PIM state Graph holds now (eligible and active assignment instances,
// role settings, role definitions, access reviews, the users they reference), each response landed
// with its observation time and kept, so state has history. A refused endpoint is reported with the
// permission to grant; the others still land.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { landRecords } from '../landed-records.js';
import { pullGroupSnapshot } from './snapshot-groups.js';

export interface SnapshotEndpoint {
  name: string;
  path: string;
  permission: string;
}

export const SNAPSHOT_ENDPOINTS: SnapshotEndpoint[] = [
  {
    name: 'roleEligibilityScheduleInstances',
    path: '/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal',
    permission: 'RoleEligibilitySchedule.Read.Directory',
  },
  {
    name: 'roleAssignmentScheduleInstances',
    path: '/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal',
    permission: 'RoleAssignmentSchedule.Read.Directory',
  },
  {
    name: 'roleManagementPolicyAssignments',
    path: "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'&$expand=policy($expand=rules)",
    permission: 'RoleManagementPolicy.Read.Directory',
  },
  {
    name: 'roleDefinitions',
    path: '/roleManagement/directory/roleDefinitions',
    permission: 'RoleManagement.Read.Directory',
  },
  {
    name: 'accessReviewDefinitions',
    path: '/identityGovernance/accessReviews/definitions',
    permission: 'AccessReview.Read.All',
  },
];

export interface SnapshotResult {
  observedAt: string;
  endpoints: { name: string; records: number; error?: string; expected?: string }[];
  landed: ManifestEntry[];
  /** Users that landed without sign-in data, and why (licence, permission, throttling). */
  usersWithoutSignIn: { id: string; reason: string }[];
}

export async function getAll(client: Client, path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let next: string | undefined = path;
  while (next) {
    const page = (await client.api(next).get()) as { 'value'?: unknown[]; '@odata.nextLink'?: string };
    out.push(...(page.value ?? []));
    next = page['@odata.nextLink'];
  }
  return out;
}

export async function pullSnapshot(
  client: Client,
  store: LandingStore,
  now = new Date(),
  /** Groups the audit log shows under PIM for Groups, and the tenant the pull reads. */
  opts: { loggedGroups?: readonly string[]; tenantId?: string } = {},
): Promise<SnapshotResult> {
  const observedAt = now.toISOString();
  const result: SnapshotResult = { observedAt, endpoints: [], landed: [], usersWithoutSignIn: [] };
  store.ensure();
  const users = new Set<string>();
  for (const ep of SNAPSHOT_ENDPOINTS) {
    try {
      const items = await getAll(client, encodePath(ep.path));
      if (ep.name.endsWith('ScheduleInstances'))
        for (const i of items) users.add(String((i as { principalId?: string }).principalId));
      const { entry, isNew } = landRecords(store, items, {
        originalPath: `graph-snapshot:${ep.name}@${observedAt}`,
        shape: `snapshot:${ep.name}`,
        flavor: 'snapshot',
        source: 'snapshot',
        endpoint: ep.name,
        observedAt,
      });
      if (isNew) result.landed.push(entry);
      result.endpoints.push({ name: ep.name, records: items.length });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      result.endpoints.push({
        name: ep.name,
        records: 0,
        error:
          status === 403
            ? `403: grant ${ep.permission} (application, admin consent)`
            : `${status ?? ''} ${(err as Error).message}`.trim(),
      });
    }
  }
  const groups = await pullGroupSnapshot(client, store, observedAt, opts.loggedGroups, opts.tenantId);
  result.landed.push(...groups.landed);
  result.endpoints.push(...groups.endpoints);
  for (const p of groups.principals) users.add(p);

  // Access review instances and their decisions, per definition.
  const reviewDefs = result.endpoints.find((e) => e.name === 'accessReviewDefinitions' && !e.error)
    ? await getAll(client, '/identityGovernance/accessReviews/definitions').catch(() => [])
    : [];
  const instances: unknown[] = [];
  const decisions: unknown[] = [];
  let reviewError: string | undefined;
  for (const def of reviewDefs as { id: string }[]) {
    try {
      const insts = (await getAll(client, `/identityGovernance/accessReviews/definitions/${def.id}/instances`)) as {
        id: string;
      }[];
      for (const inst of insts) {
        // "@pimops.*" annotations say where an item came from; Graph's own fields are untouched.
        instances.push({ ...inst, '@pimops.definitionId': def.id });
        const ds = (await getAll(
          client,
          `/identityGovernance/accessReviews/definitions/${def.id}/instances/${inst.id}/decisions?$top=100`,
        )) as object[];
        for (const d of ds) decisions.push({ ...d, '@pimops.definitionId': def.id, '@pimops.instanceId': inst.id });
      }
    } catch (err) {
      reviewError = `${(err as { statusCode?: number }).statusCode ?? ''} ${(err as Error).message}`.trim();
    }
  }
  for (const [name, items] of [
    ['accessReviewInstances', instances],
    ['accessReviewDecisions', decisions],
  ] as const) {
    const { entry, isNew } = landRecords(store, items, {
      originalPath: `graph-snapshot:${name}@${observedAt}`,
      shape: `snapshot:${name}`,
      flavor: 'snapshot',
      source: 'snapshot',
      endpoint: name,
      observedAt,
    });
    if (isNew) result.landed.push(entry);
    result.endpoints.push({ name, records: items.length, error: reviewError });
  }

  // The users the assignments name: UPN, password age and manager on the directory budget; last
  // sign-in (signInActivity: AuditLog.Read.All and Entra ID P1/P2) on its own, 10-a-minute budget.
  const users_ = await pullUsers(client, [...users].filter((u) => u && u !== 'undefined').sort());
  const userRows = users_.rows;
  const userError = users_.error;
  result.usersWithoutSignIn = users_.withoutSignIn;
  const { entry, isNew } = landRecords(store, userRows, {
    originalPath: `graph-snapshot:users@${observedAt}`,
    shape: 'snapshot:users',
    flavor: 'snapshot',
    source: 'snapshot',
    endpoint: 'users',
    observedAt,
  });
  if (isNew) result.landed.push(entry);
  result.endpoints.push({ name: 'users', records: userRows.length, error: userError });
  if (users_.withoutSignIn.length) {
    const reasons = [...new Set(users_.withoutSignIn.map((u) => u.reason))];
    result.endpoints.push({
      name: 'users.signInActivity',
      records: userRows.length - users_.withoutSignIn.length,
      error: `${users_.withoutSignIn.length} of ${userRows.length} user(s) without sign-in data (${reasons.join('; ')}); the stale-account check says "not computable" for them`,
      expected: 'partial sign-in data is reported per user, not a failed snapshot',
    });
  }
  return result;
}

/** Ids per users request: Graph's `in` filter takes 15 values. */
export const USERS_PER_REQUEST = 15;
const USER_FIELDS = 'id,userPrincipalName,displayName,accountEnabled,lastPasswordChangeDateTime,createdDateTime';
const q = (id: string) => `'${id.replaceAll("'", "''")}'`;

function statusText(err: unknown): string {
  const e = err as { statusCode?: number; message?: string };
  return `${e.statusCode ?? ''} ${String(e.message ?? err).split('\n')[0]}`.trim();
}

/**
 * Users in batches of 15 ids: one request for the directory fields (and manager), one for
 * signInActivity, each paced by its own Graph budget. A failed batch never stops the loop: its users
 * are named with the reason, and the rest are still asked.
 */
async function pullUsers(
  client: Client,
  ids: string[],
): Promise<{ rows: Record<string, unknown>[]; withoutSignIn: { id: string; reason: string }[]; error?: string }> {
  const rows: Record<string, unknown>[] = [];
  const withoutSignIn: { id: string; reason: string }[] = [];
  const errors = new Set<string>();
  for (let i = 0; i < ids.length; i += USERS_PER_REQUEST) {
    const batch = ids.slice(i, i + USERS_PER_REQUEST);
    const filter = encodeURIComponent(`id in (${batch.map(q).join(',')})`);
    let found: Record<string, unknown>[];
    try {
      // Ids that are service principals or groups are simply not in the answer.
      found = (await getAll(
        client,
        `/users?$filter=${filter}&$select=${USER_FIELDS}&$expand=${encodeURIComponent('manager($select=id,userPrincipalName)')}`,
      )) as Record<string, unknown>[];
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      errors.add(status === 403 ? '403: grant User.Read.All' : statusText(err));
      continue;
    }
    if (!found.length) continue;
    let activity = new Map<string, unknown>();
    let reason: string | undefined;
    try {
      const signIns = (await getAll(
        client,
        `/users?$filter=${encodeURIComponent(`id in (${found.map((u) => q(String(u.id))).join(',')})`)}&$select=id,signInActivity`,
      )) as { id?: string; signInActivity?: unknown }[];
      activity = new Map(signIns.filter((u) => u.signInActivity).map((u) => [String(u.id), u.signInActivity]));
      reason = 'Graph returned no signInActivity: it needs AuditLog.Read.All and an Entra ID P1/P2 licence';
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      reason =
        status === 403
          ? 'signInActivity refused (403): grant AuditLog.Read.All; the tenant needs Entra ID P1/P2'
          : status === 429
            ? 'signInActivity throttled (429) after every retry: its limit is 10 requests a minute'
            : `signInActivity request failed: ${statusText(err)}`;
    }
    for (const u of found) {
      const a = activity.get(String(u.id));
      if (a) rows.push({ ...u, signInActivity: a });
      else {
        // "@pimops.*" annotations say what pimops knows about the record; Graph's own fields are untouched.
        rows.push({ ...u, '@pimops.signInActivityMissing': reason });
        withoutSignIn.push({ id: String(u.id), reason: reason });
      }
    }
  }
  return { rows, withoutSignIn, error: errors.size ? [...errors].join('; ') : undefined };
}

/** Graph wants the OData literal's spaces and quotes encoded; the client does not encode them. */
export function encodePath(path: string): string {
  const [p, q] = path.split('?');
  if (!q) return p;
  return `${p}?${q
    .split('&')
    .map((kv) => {
      const i = kv.indexOf('=');
      return `${kv.slice(0, i)}=${encodeURIComponent(kv.slice(i + 1))}`;
    })
    .join('&')}`;
}
