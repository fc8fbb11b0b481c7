// Azure Resource Manager as pimops reads it for PIM on Azure resources, served by the loopback fake
// (azure-fake.ts routes ARM paths here): subscriptions, management groups, and per scope the
// Microsoft.Authorization role eligibility / assignment schedule instances and role management
// policies (+ assignments). Like ARM: nextLink paging with absolute URLs, 429 with Retry-After,
// 403 AuthorizationFailed on a scope the caller may not read, a token for ARM's audience only.
import type { IncomingMessage, ServerResponse } from 'node:http';

type Raw = Record<string, unknown>;

export interface FakeArm {
  subscriptions: { subscriptionId: string; displayName: string }[];
  managementGroups: { name: string; displayName: string }[];
  /** By scope (as written in the ARM id, compared case-insensitively). */
  eligibility: Record<string, Raw[]>;
  assignments: Record<string, Raw[]>;
  policies: Record<string, Raw[]>;
  policyAssignments: Record<string, Raw[]>;
  /** Scopes that answer 403 to every Microsoft.Authorization read. */
  refused: Set<string>;
  /** Faults for upcoming ARM requests, by ARM request number (1-based). */
  faults: Map<number, { status: number; retryAfter?: number }>;
  pageSize: number;
  requests: { url: string; status: number; at: number }[];
}

export function emptyArm(): FakeArm {
  return {
    subscriptions: [],
    managementGroups: [],
    eligibility: {},
    assignments: {},
    policies: {},
    policyAssignments: {},
    refused: new Set(),
    faults: new Map(),
    pageSize: 100,
    requests: [],
  };
}

export const ARM_AUDIENCE = 'https://management.azure.com';

const mgScope = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export function isArmPath(path: string): boolean {
  return (
    path === '/subscriptions' ||
    path.startsWith('/providers/Microsoft.Management/managementGroups') ||
    /\/providers\/Microsoft\.Authorization\/role(Eligibility|Assignment)ScheduleInstances$/.test(path) ||
    /\/providers\/Microsoft\.Authorization\/roleManagementPolic(ies|yAssignments)$/.test(path)
  );
}

/** Answers one ARM request; `tokenOk` says whether the bearer token is one the authority issued. */
export function handleArm(
  arm: FakeArm,
  base: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  tokenOk: (token: string) => boolean,
): void {
  const n = arm.requests.length + 1;
  const log = (status: number) => arm.requests.push({ url: req.url ?? '', status, at: Date.now() });
  const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
  if (!tokenOk(token) || !token.endsWith(`${ARM_AUDIENCE}/.default`)) {
    log(401);
    return send(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } });
  }
  if (!url.searchParams.get('api-version')) {
    log(400);
    return send(res, 400, { error: { code: 'MissingApiVersionParameter', message: 'api-version is required' } });
  }
  const fault = arm.faults.get(n);
  if (fault) {
    log(fault.status);
    return send(
      res,
      fault.status,
      { error: { code: fault.status === 429 ? 'TooManyRequests' : 'ServerError', message: 'fault' } },
      fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
    );
  }
  const path = url.pathname;
  let items: Raw[];
  if (path === '/subscriptions') {
    items = arm.subscriptions.map((s) => ({
      id: `/subscriptions/${s.subscriptionId}`,
      subscriptionId: s.subscriptionId,
      displayName: s.displayName,
      state: 'Enabled',
    }));
  } else if (path === '/providers/Microsoft.Management/managementGroups') {
    items = arm.managementGroups.map((g) => ({
      id: mgScope(g.name),
      type: 'Microsoft.Management/managementGroups',
      name: g.name,
      properties: { displayName: g.displayName },
    }));
  } else {
    const m = /^(.*)\/providers\/Microsoft\.Authorization\/(\w+)$/.exec(path);
    if (!m) {
      log(404);
      return send(res, 404, { error: { code: 'NotFound', message: `no ${path}` } });
    }
    const [, scope, kind] = m;
    const key = scope.toLowerCase();
    if ([...arm.refused].some((r) => r.toLowerCase() === key)) {
      log(403);
      return send(res, 403, {
        error: {
          code: 'AuthorizationFailed',
          message: `The client does not have authorization to perform action 'Microsoft.Authorization/${kind}/read' over scope '${scope}' or the scope is invalid.`,
        },
      });
    }
    const table =
      kind === 'roleEligibilityScheduleInstances'
        ? arm.eligibility
        : kind === 'roleAssignmentScheduleInstances'
          ? arm.assignments
          : kind === 'roleManagementPolicies'
            ? arm.policies
            : arm.policyAssignments;
    const at = (s: string) => Object.entries(table).flatMap(([k, v]) => (k.toLowerCase() === s ? v : []));
    items = at(key);
    // A subscription's unfiltered instance list also holds what it inherits from the management groups
    // above it (here: every one) and what sits below it; atScope() keeps the scope and above.
    if (kind.endsWith('ScheduleInstances')) {
      const filter = url.searchParams.get('$filter');
      if (key.startsWith('/subscriptions/')) {
        items = [
          ...arm.managementGroups.flatMap((g) => at(mgScope(g.name).toLowerCase())),
          ...Object.entries(table).flatMap(([k, v]) => (k.toLowerCase().startsWith(`${key}/`) ? v : [])),
          ...items,
        ];
      } else if (filter !== 'atScope()') {
        items = [
          ...items,
          ...Object.entries(table).flatMap(([k, v]) => (k.toLowerCase().startsWith('/subscriptions/') ? v : [])),
        ];
      }
    }
  }
  const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
  const page = items.slice(skip, skip + arm.pageSize);
  const body: Raw = { value: page };
  if (skip + arm.pageSize < items.length) {
    const next = new URL(`${base}${path}`);
    for (const [k, v] of url.searchParams) if (k !== '$skiptoken') next.searchParams.set(k, v);
    next.searchParams.set('$skiptoken', String(skip + arm.pageSize));
    body.nextLink = next.toString();
  }
  log(200);
  return send(res, 200, body);
}
