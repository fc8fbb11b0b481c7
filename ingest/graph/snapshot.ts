// `pimops ingest snapshot`: the PIM state Graph holds now (eligible and active assignment instances,
// role settings, role definitions, access reviews, the users they reference), each response landed
// with its observation time and kept, so state has history. A refused endpoint is reported with the
// permission to grant; the others still land.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { landRecords } from '../landed-records.js';

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
  endpoints: { name: string; records: number; error?: string }[];
  landed: ManifestEntry[];
}

async function getAll(client: Client, path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let next: string | undefined = path;
  while (next) {
    const page = (await client.api(next).get()) as { 'value'?: unknown[]; '@odata.nextLink'?: string };
    out.push(...(page.value ?? []));
    next = page['@odata.nextLink'];
  }
  return out;
}

export async function pullSnapshot(client: Client, store: LandingStore, now = new Date()): Promise<SnapshotResult> {
  const observedAt = now.toISOString();
  const result: SnapshotResult = { observedAt, endpoints: [], landed: [] };
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

  // The users the assignments name: UPN, last sign-in (needs AuditLog.Read.All and a P1 licence), password age, manager.
  const userRows: unknown[] = [];
  let userError: string | undefined;
  for (const id of [...users].filter((u) => u && u !== 'undefined').sort()) {
    try {
      userRows.push(
        await client
          .api(
            `/users/${encodeURIComponent(id)}?$select=id,userPrincipalName,displayName,accountEnabled,signInActivity,lastPasswordChangeDateTime,createdDateTime&$expand=manager($select=id,userPrincipalName)`,
          )
          .get(),
      );
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) continue; // a service principal or group, not a user
      userError =
        status === 403 ? '403: grant User.Read.All and AuditLog.Read.All (signInActivity)' : (err as Error).message;
      break;
    }
  }
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
  return result;
}

/** Graph wants the OData literal's spaces and quotes encoded; the client does not encode them. */
function encodePath(path: string): string {
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
