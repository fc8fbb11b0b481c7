// A loopback HTTPS fake of the Azure services pimops talks to: the token authority, Graph
// directoryAudits (paging, $filter on time, $orderby), and Log Analytics query. It behaves like
// Azure where pimops depends on it, and injects faults on request: 429 with Retry-After, 503,
// connection resets, expired tokens, broken nextLinks. The Logs Ingestion endpoint checks the token's
// audience, the gzip body (at most 1 MB either way) and every row against the DCR's stream declaration.
import { createServer, type Server } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emptyArm, handleArm, isArmPath, type FakeArm } from './arm-fake.js';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'reset' }
  | { kind: 'expire-token' }
  | { kind: 'break-next-link' }
  | { kind: 'echo-token' }
  // A 200 page whose @odata.nextLink is not a string: a malformed body the client must refuse, not follow or end on.
  | { kind: 'non-string-next-link' };

export interface FakeAzure {
  url: string;
  port: number;
  tenantId: string;
  clientSecret: string;
  /** A federated credential's assertion (a GitHub OIDC token) the authority accepts instead of the secret. */
  clientAssertion: string;
  records: Record<string, unknown>[];
  /** Faults for upcoming Graph requests, by Graph request number (1-based). */
  faults: Map<number, Fault>;
  graphRequests: { at: number; url: string; token: string | undefined; status: number }[];
  tokensIssued: string[];
  laRequests: { body: { query: string; timespan?: string } }[];
  laHandler?: (body: { query: string; timespan?: string }) => { status?: number; body: unknown };
  /** Graph state for the snapshot endpoints, by path after /v1.0 (without the query); a number = that HTTP status. */
  state: Record<string, unknown[] | number>;
  users: Record<string, Record<string, unknown>>;
  /** The data collection rule the ingestion endpoint enforces: its immutable id and the columns of each stream. */
  dcr?: { immutableId: string; streams: Record<string, { name: string; type: string }[]> };
  /** More rules the endpoint serves with the same streams (a workspace per tenant): their immutable ids. */
  moreDcrs: string[];
  ingestionFaults: Map<number, Fault>;
  ingestionRequests: {
    stream: string;
    status: number;
    compressedBytes: number;
    uncompressedBytes: number;
    rows: number;
    encoding: string | undefined;
  }[];
  /** Rows the service accepted, per stream. */
  ingested: Record<string, Record<string, unknown>[]>;
  /** The same rows per rule (immutable id) and stream. */
  ingestedByDcr: Record<string, Record<string, Record<string, unknown>[]>>;
  /** A rule to refuse a chunk (return the reason), for partial failures. */
  ingestionReject?: (stream: string, rows: Record<string, unknown>[]) => string | undefined;
  /** Graph's limit on requests that read users' signInActivity (10 a minute per app and tenant), on a scaled window:
   *  past `limit` arrivals in any `windowMs`, a 429 with a (fractional) Retry-After until the oldest leaves the window. */
  signInActivityThrottle?: { limit: number; windowMs: number };
  /** Requests to /users (url, status), in order. */
  userRequests: { at: number; url: string; status: number }[];
  /** Sign-in events (Graph signIn shape with signInEventTypes): v1.0 answers interactive ones only, beta filters by kind. */
  signIns?: Record<string, unknown>[];
  signInRequests: string[];
  /** Audience each service demands of a token (its scope without /.default); unset = any valid token. */
  audiences: { graph?: string; logAnalytics?: string; ingestion: string };
  /** Requests to the snapshot state endpoints, with their query. */
  stateRequests: string[];
  /** Mailboxes sendMail may send as (an application access policy's scope), lower case; and what was sent. */
  mailboxes: string[];
  mails: { from: string; message: Record<string, unknown>; raw: string }[];
  /** Azure Resource Manager (arm-fake.ts): set armEndpoint to `url` to read it. */
  arm: FakeArm;
  /**
   * More tenants the authority and Graph serve (a multi-tenant app consented in several): each with
   * its own audit records, its own app secret if set, and its failures: an app never consented there
   * (the authority's AADSTS700016) or a Graph status for every directoryAudits request (403: no permission).
   */
  tenants: Record<
    string,
    { records: Record<string, unknown>[]; clientSecret?: string; notConsented?: boolean; graphStatus?: number }
  >;
  /** The tenant each issued token was asked of. */
  tokenTenants: Map<string, string>;
  close(): Promise<void>;
}

/** What the Log Analytics query API may answer when a result passes its size cap: the documentation says
 *  neither which, so the fake can give both (an error, or a partial result with the error beside it). */
export function sizeLimitAnswer(kind: 'error' | 'partial', partialTable?: unknown): { status?: number; body: unknown } {
  const error = {
    code: 'ResponsePayloadTooLarge',
    message:
      'Response size too large: Query result set has exceeded the internal data size limit 67108864 (E_QUERY_RESULT_SET_TOO_LARGE).',
  };
  return kind === 'error'
    ? { status: 400, body: { error: { ...error, details: [] } } }
    : {
        body: {
          tables: partialTable ? [partialTable] : [],
          error: {
            code: 'PartialError',
            message: error.message,
            details: [{ code: 'EngineError', message: error.message }],
          },
        },
      };
}

/** Users matching a /users list request's `$filter=id in (...)`, with only the `$select`ed fields. */
function usersFor(url: URL, users: Record<string, Record<string, unknown>>): Record<string, unknown>[] {
  const filter = url.searchParams.get('$filter') ?? '';
  const ids = /id in \((.*)\)/
    .exec(filter)?.[1]
    .split(',')
    .map((v) => v.trim().replace(/^'|'$/g, '').replaceAll("''", "'"));
  const select = url.searchParams.get('$select')?.split(',');
  const expand = url.searchParams.get('$expand') ?? '';
  return Object.values(users)
    .filter((u) => !ids || ids.includes(String(u.id)))
    .map((u) => {
      const picked = select ? Object.fromEntries(Object.entries(u).filter(([k]) => select.includes(k))) : { ...u };
      if (expand.startsWith('manager') && u.manager) picked.manager = u.manager;
      return picked;
    });
}

/**
 * What Graph's $filter keeps of a state list: PIM for Groups instances need groupId or principalId
 * (Graph refuses the list without), policy assignments are per scope, groups by role-assignability or id.
 */
function filterState(path: string, url: URL, items: unknown[]): unknown[] | 'filter-required' {
  const filter = url.searchParams.get('$filter') ?? '';
  const eq = Object.fromEntries([...filter.matchAll(/(\w+) eq '([^']*)'/g)].map((m) => [m[1], m[2]]));
  const rows = items as Record<string, unknown>[];
  if (path.startsWith('/identityGovernance/privilegedAccess/group/')) {
    if (!eq.groupId && !eq.principalId) return 'filter-required';
    return rows.filter(
      (r) => (!eq.groupId || r.groupId === eq.groupId) && (!eq.principalId || r.principalId === eq.principalId),
    );
  }
  if (path === '/policies/roleManagementPolicyAssignments' && eq.scopeType)
    return rows.filter((r) =>
      r.scopeType === undefined
        ? eq.scopeType === 'DirectoryRole'
        : r.scopeType === eq.scopeType && r.scopeId === eq.scopeId,
    );
  if (path === '/groups') {
    const ids = /id in \((.*)\)/
      .exec(filter)?.[1]
      .split(',')
      .map((v) => v.trim().replace(/^'|'$/g, ''));
    if (ids) return rows.filter((r) => ids.includes(String(r.id)));
    if (/isAssignableToRole eq true/.test(filter)) return rows.filter((r) => r.isAssignableToRole === true);
  }
  return items;
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Why a row does not fit the stream declaration, or undefined. */
function rowProblem(row: Record<string, unknown>, columns: { name: string; type: string }[]): string | undefined {
  const types = new Map(columns.map((c) => [c.name, c.type]));
  for (const [k, v] of Object.entries(row)) {
    const t = types.get(k);
    if (!t) return `column ${k} is not declared in the stream`;
    if (v === null) continue;
    const ok =
      t === 'string'
        ? typeof v === 'string'
        : t === 'long' || t === 'int'
          ? Number.isInteger(v)
          : t === 'real'
            ? typeof v === 'number'
            : t === 'boolean'
              ? typeof v === 'boolean'
              : t === 'datetime'
                ? typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))
                : true;
    if (!ok) return `column ${k} (${t}) cannot hold ${JSON.stringify(v)}`;
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Parses the time window (and an optional `prop eq 'v'`) out of a directoryAudits $filter. */
function parseFilter(filter: string) {
  const ge = /activityDateTime ge (\S+)/.exec(filter)?.[1];
  const le = /activityDateTime le (\S+)/.exec(filter)?.[1];
  const eq = [...filter.matchAll(/(\w+) eq '([^']*)'/g)].map((m) => [m[1], m[2]] as const);
  return { ge: ge ? Date.parse(ge) : -Infinity, le: le ? Date.parse(le) : Infinity, eq };
}

export async function startFakeAzure(
  opts: { records?: Record<string, unknown>[]; pageSizeCap?: number } = {},
): Promise<FakeAzure> {
  const tenantId = '72f988bf-0000-4000-8000-000000000001';
  const fake: FakeAzure = {
    url: '',
    port: 0,
    tenantId,
    clientSecret: 'test-secret-value-123',
    clientAssertion: 'fake-github-oidc-jwt-7f3a',
    records: opts.records ?? [],
    faults: new Map(),
    graphRequests: [],
    tokensIssued: [],
    laRequests: [],
    // PIM for Groups lists nothing until a test plants groups.
    state: {
      '/groups': [],
      '/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances': [],
      '/identityGovernance/privilegedAccess/group/assignmentScheduleInstances': [],
    },
    arm: emptyArm(),
    users: {},
    ingestionFaults: new Map(),
    ingestionRequests: [],
    ingested: {},
    ingestedByDcr: {},
    moreDcrs: [],
    close: async () => undefined,
    userRequests: [],
    signInRequests: [],
    audiences: { ingestion: 'https://monitor.azure.com' },
    stateRequests: [],
    mailboxes: [],
    mails: [],
    tenants: {},
    tokenTenants: new Map(),
  };
  const throttled: number[] = [];
  const audienceOk = (token: string, audience: string | undefined) =>
    !audience || token.endsWith(`${audience}/.default`);
  const validTokens = new Set<string>();
  const cursors = new Map<
    string,
    { filter: ReturnType<typeof parseFilter>; offset: number; top: number; matching?: Record<string, unknown>[] }
  >();
  let graphCount = 0;
  let ingestionCount = 0;
  let tokenCount = 0;

  // An async handler is what a fake needs; a rejection shows as the client's failed request in the test.
  const server: Server = createServer(
    { cert: readFileSync(process.env.PIMOPS_TEST_CERT!), key: readFileSync(process.env.PIMOPS_TEST_KEY!) },
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    async (req, res) => {
      const url = new URL(req.url ?? '/', fake.url);
      const path = url.pathname;
      // --- token authority
      const authority = /^\/([0-9a-f-]{36})\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(
        path,
      );
      const authTenant =
        authority && (authority[1] === tenantId || fake.tenants[authority[1]]) ? authority[1] : undefined;
      if (authTenant && authority![2].startsWith('v2.0')) {
        const base = `${fake.url}/${authTenant}`;
        return json(res, 200, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ['code'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          tenant_region_scope: 'NA',
          cloud_instance_name: 'fake',
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        });
      }
      if (authTenant) {
        const form = new URLSearchParams(await readBody(req));
        const other = authTenant === tenantId ? undefined : fake.tenants[authTenant];
        if (other?.notConsented)
          // What Entra answers a client-credentials request of an app with no service principal in the tenant.
          return json(res, 400, {
            error: 'unauthorized_client',
            error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory '${authTenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
            error_codes: [700016],
          });
        const assertionOk =
          form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
          form.get('client_assertion') === fake.clientAssertion;
        if (form.get('client_secret') !== (other?.clientSecret ?? fake.clientSecret) && !assertionOk) {
          return json(res, 401, {
            error: 'invalid_client',
            error_description: 'AADSTS7000215: Invalid client secret provided.',
          });
        }
        const token = `fake-token-${++tokenCount}-${form.get('scope')}`;
        validTokens.add(token);
        fake.tokensIssued.push(token);
        fake.tokenTenants.set(token, authTenant);
        return json(res, 200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token });
      }
      // --- Graph
      if (path === '/v1.0/auditLogs/directoryAudits') {
        const n = ++graphCount;
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        const log = (status: number) => fake.graphRequests.push({ at: Date.now(), url: req.url ?? '', token, status });
        const fault = fake.faults.get(n);
        if (fault?.kind === 'reset') {
          log(0);
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'expire-token' && token) validTokens.delete(token);
        if (!token || !validTokens.has(token) || !audienceOk(token, fake.audiences.graph)) {
          log(401);
          return json(res, 401, {
            error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' },
          });
        }
        const other = token ? fake.tenants[fake.tokenTenants.get(token) ?? ''] : undefined;
        if (other?.graphStatus) {
          log(other.graphStatus);
          return json(res, other.graphStatus, {
            error: {
              code: 'Authorization_RequestDenied',
              message: 'Insufficient privileges to complete the operation.',
            },
          });
        }
        if (fault?.kind === 'echo-token') {
          log(400);
          return json(res, 400, {
            error: {
              code: 'BadRequest',
              message: `Request with Authorization: Bearer ${token} and client_secret=${fake.clientSecret} is malformed`,
            },
          });
        }
        if (fault?.kind === 'status') {
          log(fault.status);
          return json(
            res,
            fault.status,
            { error: { code: fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'fault' } },
            fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
          );
        }
        let cursor;
        const skip = url.searchParams.get('$skiptoken');
        if (skip) {
          cursor = cursors.get(skip);
          if (!cursor || fault?.kind === 'break-next-link') {
            log(400);
            return json(res, 400, { error: { code: 'BadRequest', message: 'Invalid $skiptoken' } });
          }
        } else {
          const filter = parseFilter(url.searchParams.get('$filter') ?? '');
          cursor = {
            filter,
            offset: 0,
            top: Math.min(Number(url.searchParams.get('$top') ?? 100), opts.pageSizeCap ?? 1000),
          };
        }
        // Computed once per query and kept with its cursor, as a real service keeps its result set.
        const matching =
          cursor.matching ??
          (other?.records ?? fake.records)
            .filter((r) => {
              const t = Date.parse(String(r.activityDateTime));
              return t >= cursor.filter.ge && t <= cursor.filter.le && cursor.filter.eq.every(([k, v]) => r[k] === v);
            })
            .sort((a, b) => Date.parse(String(a.activityDateTime)) - Date.parse(String(b.activityDateTime)));
        const page = matching.slice(cursor.offset, cursor.offset + cursor.top);
        const body: Record<string, unknown> = {
          '@odata.context': `${fake.url}/v1.0/$metadata#auditLogs/directoryAudits`,
          'value': page,
        };
        if (cursor.offset + cursor.top < matching.length) {
          const next = `t${n}x${Math.random().toString(36).slice(2)}`;
          cursors.set(next, { ...cursor, offset: cursor.offset + cursor.top, matching });
          body['@odata.nextLink'] = `${fake.url}/v1.0/auditLogs/directoryAudits?$skiptoken=${next}`;
        }
        if (fault?.kind === 'non-string-next-link') body['@odata.nextLink'] = { href: 'not text' };
        log(200);
        return json(res, 200, body);
      }
      // --- Graph users, listed by id (the snapshot's batches), with their own signInActivity throttle
      if (path === '/v1.0/users') {
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        const log = (status: number) => fake.userRequests.push({ at: Date.now(), url: req.url ?? '', status });
        if (!token || !validTokens.has(token) || !audienceOk(token, fake.audiences.graph)) {
          log(401);
          return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
        }
        const t = fake.signInActivityThrottle;
        if (t && /signInActivity/i.test(`${url.searchParams.get('$select')} ${url.searchParams.get('$filter')}`)) {
          const now = Date.now();
          while (throttled.length && throttled[0] <= now - t.windowMs) throttled.shift();
          if (throttled.length >= t.limit) {
            log(429);
            return json(
              res,
              429,
              { error: { code: 'TooManyRequests', message: 'Too many requests' } },
              { 'retry-after': String(Math.max(0.01, ((throttled[0] ?? now) + t.windowMs - now) / 1000)) },
            );
          }
          throttled.push(now);
        }
        log(200);
        return json(res, 200, {
          '@odata.context': `${fake.url}/v1.0/$metadata#users`,
          'value': usersFor(url, fake.users),
        });
      }
      // --- Graph sign-ins: v1.0 holds interactive sign-ins only; beta filters on signInEventTypes
      const signInPath = /^\/(v1\.0|beta)\/auditLogs\/signIns$/.exec(path);
      if (signInPath && fake.signIns) {
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (!token || !validTokens.has(token))
          return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
        fake.signInRequests.push(req.url ?? '');
        const filter = url.searchParams.get('$filter') ?? '';
        const { ge, le, eq } = parseFilter(
          filter.replace(/signInEventTypes\/any\([^)]*\)/, '').replaceAll('createdDateTime', 'activityDateTime'),
        );
        const kind = /signInEventTypes\/any\(t: t eq '(\w+)'\)/.exec(filter)?.[1];
        const wanted = signInPath[1] === 'v1.0' ? 'interactiveUser' : (kind ?? 'interactiveUser');
        const value = fake.signIns
          .filter((r) => {
            const t = Date.parse(String(r.createdDateTime));
            const types = (r.signInEventTypes as string[] | undefined) ?? ['interactiveUser'];
            return (
              t >= ge &&
              t <= le &&
              types.includes(wanted) &&
              eq.every(([k, v]) => String(r[k]).toLowerCase() === v.toLowerCase())
            );
          })
          .map((r) =>
            signInPath[1] === 'v1.0'
              ? Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'signInEventTypes'))
              : r,
          );
        return json(res, 200, { '@odata.context': `${fake.url}/${signInPath[1]}/$metadata#auditLogs/signIns`, value });
      }
      // --- Graph sendMail (application permission Mail.Send): 202 and no body; only mailboxes the fake knows
      const mail = /^\/v1\.0\/users\/([^/]+)\/sendMail$/.exec(path);
      if (mail && req.method === 'POST') {
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (!token || !validTokens.has(token))
          return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
        const from = decodeURIComponent(mail[1]);
        if (!fake.mailboxes.includes(from.toLowerCase()))
          return json(res, 403, {
            error: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
          });
        const body = JSON.parse(await readBody(req)) as { message: Record<string, unknown> };
        fake.mails.push({ from, message: body.message, raw: JSON.stringify(body) });
        res.writeHead(202).end();
        return;
      }
      // --- Graph state (snapshot endpoints), one page each
      const statePath = path.replace(/^\/v1\.0/, '');
      if (path.startsWith('/v1.0/') && (statePath in fake.state || statePath.startsWith('/users/'))) {
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (!token || !validTokens.has(token))
          return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
        if (statePath.startsWith('/users/')) {
          const u = fake.users[decodeURIComponent(statePath.slice('/users/'.length))];
          return u
            ? json(res, 200, u)
            : json(res, 404, { error: { code: 'Request_ResourceNotFound', message: 'not a user' } });
        }
        fake.stateRequests.push(req.url ?? '');
        // The PIM pages document $select, $filter and $expand only: anything else is refused, as a strict service would.
        if (/^\/(roleManagement|policies)\//.test(statePath)) {
          const odd = [...url.searchParams.keys()].filter(
            (k) => k.startsWith('$') && !['$select', '$filter', '$expand'].includes(k),
          );
          if (odd.length)
            return json(res, 400, {
              error: { code: 'BadRequest', message: `Query option '${odd[0]}' is not allowed.` },
            });
        }
        let v: unknown[] | number | 'filter-required' | undefined = fake.state[statePath];
        if (Array.isArray(v)) v = filterState(statePath, url, v);
        if (v === 'filter-required')
          return json(res, 400, {
            error: { code: 'BadRequest', message: 'The request requires a $filter on groupId or principalId.' },
          });
        if (typeof v === 'number')
          return json(res, v, {
            error: {
              code: v === 400 ? 'BadRequest' : 'Authorization_RequestDenied',
              message: v === 400 ? 'Invalid filter clause' : 'Insufficient privileges to complete the operation.',
            },
          });
        return json(res, 200, { '@odata.context': `${fake.url}/v1.0/$metadata#${statePath.slice(1)}`, 'value': v });
      }
      // --- Log Analytics
      const la = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(path);
      if (la && req.method === 'POST') {
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (!token || !validTokens.has(token) || !audienceOk(token, fake.audiences.logAnalytics))
          return json(res, 401, { error: { code: 'InvalidTokenError', message: 'bad token' } });
        const body = JSON.parse(await readBody(req));
        fake.laRequests.push({ body });
        const answer = fake.laHandler?.(body) ?? {
          body: { tables: [{ name: 'PrimaryResult', columns: [], rows: [] }] },
        };
        return json(res, answer.status ?? 200, answer.body);
      }
      // --- Logs Ingestion API (a DCR of kind Direct)
      const ingest = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(path);
      if (ingest && req.method === 'POST') {
        const n = ++ingestionCount;
        const [, ruleId, stream] = ingest;
        const raw = await readRaw(req);
        const entry = {
          stream: decodeURIComponent(stream),
          status: 0,
          compressedBytes: raw.length,
          uncompressedBytes: 0,
          rows: 0,
          encoding: req.headers['content-encoding'],
        };
        fake.ingestionRequests.push(entry);
        const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
          entry.status = status;
          return json(res, status, { error: { code, message } }, headers);
        };
        const fault = fake.ingestionFaults.get(n);
        if (fault?.kind === 'reset') {
          entry.status = -1;
          req.socket.destroy();
          return;
        }
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (!token || !validTokens.has(token) || !audienceOk(token, fake.audiences.ingestion))
          return fail(401, 'InvalidToken', 'The token is missing, expired or for another audience.');
        if (fault?.kind === 'status')
          return fail(
            fault.status,
            fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
            'fault',
            fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
          );
        if (new URLSearchParams(url.search).get('api-version') !== '2023-01-01')
          return fail(400, 'InvalidApiVersion', 'api-version must be 2023-01-01');
        if (!fake.dcr || (ruleId !== fake.dcr.immutableId && !fake.moreDcrs.includes(ruleId)))
          return fail(404, 'NotFound', `no data collection rule ${ruleId}`);
        const columns = fake.dcr.streams[entry.stream];
        if (!columns) return fail(400, 'InvalidStream', `stream ${entry.stream} is not declared in the rule`);
        if (raw.length > 1_000_000) return fail(413, 'ContentLengthLimitExceeded', 'The request body exceeds 1 MB.');
        let text: string;
        try {
          text = entry.encoding === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
        } catch {
          return fail(400, 'InvalidContentEncoding', 'body is not gzip');
        }
        entry.uncompressedBytes = Buffer.byteLength(text);
        if (entry.uncompressedBytes > 1_000_000)
          return fail(413, 'ContentLengthLimitExceeded', 'The uncompressed body exceeds 1 MB.');
        let rows: Record<string, unknown>[];
        try {
          rows = JSON.parse(text);
        } catch {
          return fail(400, 'InvalidPayload', 'body is not JSON');
        }
        if (!Array.isArray(rows)) return fail(400, 'InvalidPayload', 'body must be a JSON array of rows');
        entry.rows = rows.length;
        for (const [i, r] of rows.entries()) {
          const why = rowProblem(r, columns);
          if (why) return fail(400, 'InvalidPayload', `row ${i}: ${why}`);
        }
        const refused = fake.ingestionReject?.(entry.stream, rows);
        if (refused) return fail(400, 'InvalidPayload', refused);
        (fake.ingested[entry.stream] ??= []).push(...rows);
        ((fake.ingestedByDcr[ruleId] ??= {})[entry.stream] ??= []).push(...rows);
        entry.status = 204;
        res.writeHead(204);
        return res.end();
      }
      if (isArmPath(path)) return handleArm(fake.arm, fake.url, req, res, url, (t) => validTokens.has(t));
      json(res, 404, { error: { code: 'NotFound', message: `fake has no ${req.method} ${path}` } });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `https://127.0.0.1:${fake.port}`;
  fake.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** The environment and config that point pimops at the fake. */
export function fakeEnv(fake: FakeAzure): NodeJS.ProcessEnv {
  return {
    AZURE_TENANT_ID: fake.tenantId,
    AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    AZURE_CLIENT_SECRET: fake.clientSecret,
  };
}

export function fakeAzureConfig(fake: FakeAzure, over: Record<string, unknown> = {}) {
  return {
    graphEndpoint: fake.url,
    authorityHost: fake.url,
    logAnalyticsEndpoint: `${fake.url}/v1`,
    armEndpoint: fake.url,
    ...over,
  };
}
