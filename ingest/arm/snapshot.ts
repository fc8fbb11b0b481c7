// PIM for Azure resources: what ARM (Microsoft.Authorization) holds now at every management group and
// subscription the identity can see: eligible and active role schedule instances, and the role
// management policies with the assignments that bind them to a role at a scope. One file per kind
// per pull, each as ARM answered (its `properties` kept); a scope that refuses is named and the
// others still land (core/gaps.ts decides what that means for the run).
import type { TokenCredential } from '@azure/core-auth';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagementGroupsAPI } from '@azure/arm-managementgroups';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import type { PullOutcome } from '../../core/gaps.js';
import { landRecords } from '../landed-records.js';

export interface ArmTarget {
  /** ARM's host (the cloud preset's, or a configured one). */
  endpoint: string;
  /** The token scope for ARM (`{audience}/.default`). */
  scope: string;
}

/** What each ARM read needs, for the refusal message and docs/azure-setup.md. */
export const ARM_PERMISSIONS = {
  subscriptions: 'Microsoft.Resources/subscriptions/read (Reader)',
  managementGroups: 'Microsoft.Management/managementGroups/read (Reader on the tenant root group)',
  scope:
    'Reader there, or the narrower pimops PIM reader role (docs/azure-setup.md): Microsoft.Authorization/roleEligibilityScheduleInstances/read, roleAssignmentScheduleInstances/read, roleManagementPolicies/read, roleManagementPolicyAssignments/read',
};

export interface ArmSnapshotResult {
  endpoints: (PullOutcome & { records: number })[];
  landed: ManifestEntry[];
  /** The scopes read, management groups first. */
  scopes: string[];
}

type Raw = Record<string, unknown>;

function reason(err: unknown, permission: string, scope: string): string {
  const e = err as { statusCode?: number; message?: string };
  if (e.statusCode === 403) return `403 at ${scope}: grant ${permission}`;
  return `${e.statusCode ?? ''} ${String(e.message ?? err).split('\n')[0]}`.trim();
}

/**
 * Every page of a list, as ARM sent it: the SDK follows nextLink and retries 429s (Retry-After),
 * and `onResponse` hands over each page's text.
 */
async function rawList(
  list: (options: { onResponse: (raw: { bodyAsText?: string | null }) => void }) => AsyncIterable<unknown>,
): Promise<Raw[]> {
  const out: Raw[] = [];
  const items = list({
    // The text, not parsedBody: the SDK replaces parsedBody with its flattened model.
    onResponse: (raw) => {
      const body = raw.bodyAsText ? (JSON.parse(raw.bodyAsText) as { value?: Raw[] }) : undefined;
      if (Array.isArray(body?.value)) out.push(...body.value);
    },
  });
  // Iterating drives the requests, page by page; the items themselves are taken raw above.
  for await (const item of items) void item;
  return out;
}

export async function pullArmSnapshot(
  credential: TokenCredential,
  target: ArmTarget,
  store: LandingStore,
  observedAt: string,
  tenantId?: string,
): Promise<ArmSnapshotResult> {
  // The generated clients take the scope as credentialScopes; the newer subscriptions client as credentials.scopes.
  const options = {
    endpoint: target.endpoint,
    credentialScopes: [target.scope],
    credentials: { scopes: [target.scope] },
  };
  const result: ArmSnapshotResult = { endpoints: [], landed: [], scopes: [] };
  store.ensure();
  const land = (name: string, items: unknown[]) => {
    const { entry, isNew } = landRecords(store, items, {
      originalPath: `arm-snapshot:${name}@${observedAt}`,
      shape: `snapshot:${name}`,
      flavor: 'snapshot',
      source: 'snapshot',
      endpoint: name,
      observedAt,
      tenantId,
    });
    if (isNew) result.landed.push(entry);
  };

  const subscriptions: Raw[] = [];
  try {
    const client = new SubscriptionClient(credential, options);
    for await (const s of client.subscriptions.list()) subscriptions.push({ ...s });
    result.endpoints.push({ name: 'armSubscriptions', records: subscriptions.length });
  } catch (err) {
    result.endpoints.push({
      name: 'armSubscriptions',
      records: 0,
      error: reason(err, ARM_PERMISSIONS.subscriptions, '/'),
    });
  }
  land('armSubscriptions', subscriptions);

  const groups: Raw[] = [];
  try {
    const client = new ManagementGroupsAPI(credential, options);
    for await (const g of client.managementGroups.list()) groups.push({ ...g });
    result.endpoints.push({ name: 'armManagementGroups', records: groups.length });
  } catch (err) {
    result.endpoints.push({
      name: 'armManagementGroups',
      records: 0,
      error: reason(err, ARM_PERMISSIONS.managementGroups, '/providers/Microsoft.Management/managementGroups'),
    });
  }
  land('armManagementGroups', groups);

  // Management groups read their own (and inherited) instances only: a subscription's unfiltered list
  // already holds everything below it. Subscriptions repeat what they inherit; the loader keeps one by id.
  const scopes: { scope: string; filter?: string }[] = [
    ...groups.map((g) => ({ scope: String(g.id), filter: 'atScope()' })),
    ...subscriptions.map((s) => ({
      scope: typeof s.id === 'string' ? s.id : `/subscriptions/${String(s.subscriptionId as string)}`,
    })),
  ];
  result.scopes = scopes.map((s) => s.scope);
  const eligible: Raw[] = [];
  const active: Raw[] = [];
  const bound: Raw[] = [];
  // Any subscription id will do: every call below names its scope.
  const auth = new AuthorizationManagementClient(credential, '00000000-0000-0000-0000-000000000000', options);
  for (const { scope, filter } of scopes) {
    // The SDK's paths are '/{scope}/providers/…' with the scope unescaped: it wants the scope without its leading '/'.
    const at = scope.replace(/^\/+/, '');
    try {
      const [e, a, policies, assignments] = [
        await rawList((o) => auth.roleEligibilityScheduleInstances.listForScope(at, { ...o, filter })),
        await rawList((o) => auth.roleAssignmentScheduleInstances.listForScope(at, { ...o, filter })),
        await rawList((o) => auth.roleManagementPolicies.listForScope(at, o)),
        await rawList((o) => auth.roleManagementPolicyAssignments.listForScope(at, o)),
      ];
      eligible.push(...e);
      active.push(...a);
      const byId = new Map(policies.map((p) => [String(p.id).toLowerCase(), p]));
      for (const pa of assignments) {
        const policyId = String((pa.properties as { policyId?: string } | undefined)?.policyId ?? '').toLowerCase();
        // "@pimops.*" says what pimops attached; ARM's own fields are untouched.
        bound.push({ ...pa, '@pimops.policy': byId.get(policyId) ?? null });
      }
      result.endpoints.push({ name: `azureResources:${scope}`, records: e.length + a.length + assignments.length });
    } catch (err) {
      result.endpoints.push({
        name: `azureResources:${scope}`,
        records: 0,
        error: reason(err, ARM_PERMISSIONS.scope, scope),
      });
    }
  }
  land('armRoleEligibilityScheduleInstances', eligible);
  land('armRoleAssignmentScheduleInstances', active);
  land('armRoleManagementPolicyAssignments', bound);
  return result;
}

/**
 * For `pimops doctor`: how many subscriptions and management groups the identity sees, and whether
 * the first of them lets it read PIM state (one small read of each kind). Throws what ARM answered.
 */
export async function pullArmScopes(
  credential: TokenCredential,
  target: ArmTarget,
): Promise<{ subscriptions: number; managementGroups: number; firstScope?: string }> {
  const options = {
    endpoint: target.endpoint,
    credentialScopes: [target.scope],
    credentials: { scopes: [target.scope] },
  };
  const subs: string[] = [];
  for await (const s of new SubscriptionClient(credential, options).subscriptions.list()) subs.push(String(s.id));
  let groups = 0;
  const mgs: string[] = [];
  for await (const g of new ManagementGroupsAPI(credential, options).managementGroups.list()) {
    groups++;
    mgs.push(String(g.id));
  }
  const firstScope = mgs[0] ?? subs[0];
  if (firstScope) {
    const auth = new AuthorizationManagementClient(credential, '00000000-0000-0000-0000-000000000000', options);
    const at = firstScope.replace(/^\/+/, '');
    for await (const x of auth.roleEligibilityScheduleInstances.listForScope(at, { filter: 'atScope()' })) void x;
    for await (const x of auth.roleManagementPolicyAssignments.listForScope(at)) void x;
  }
  return { subscriptions: subs.length, managementGroups: groups, firstScope };
}
