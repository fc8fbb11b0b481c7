// Issue 18, real-tenant fidelity: hand-computed cases for what real 2026 records hold and the
// generator did not, each written as a handful of records, imported into a temp DuckDB file, and
// held to numbers worked out by hand in the comments.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../fixtures/generator/prng.js';
import { pimRecord, type AuditRecord, type Principal, type PimEventSpec } from '../fixtures/generator/records.js';
import { toLogAnalyticsRow } from '../fixtures/generator/emit.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { metricsReport } from '../reports/metrics.js';
import { metricsText } from '../reports/metrics-text.js';
import { buildReport } from '../reports/report.js';
import { renderHtml, renderMarkdown } from '../reports/render.js';
import { explainRequest } from '../reports/explain.js';
import { runQuery } from '../queries/registry.js';
import { Db } from '../core/db.js';
import { tempDir, testConfig } from './helpers.js';

const rng = new Rng(18);
const tenant = { id: '18181818-1818-4818-8818-181818181818', name: 'Fidelity' };
const dir = { id: '/', name: 'Directory' };
const alice: Principal = {
  id: 'a0000000-0000-4000-8000-00000000000a',
  upn: 'alice@fidelity.example',
  name: 'Alice',
  type: 'User',
};
const bob: Principal = {
  id: 'b0000000-0000-4000-8000-00000000000b',
  upn: 'bob@fidelity.example',
  name: 'Bob',
  type: 'User',
};
const carol: Principal = {
  id: 'c0000000-0000-4000-8000-00000000000c',
  upn: 'carol@fidelity.example',
  name: 'Carol',
  type: 'User',
};
const lead: Principal = {
  id: 'd0000000-0000-4000-8000-00000000000d',
  upn: 'lead@fidelity.example',
  name: 'Lead',
  type: 'User',
};
const T = (s: string) => new Date(s);
const DERIVED = ['int_pim_events', 'pim_activations', 'pim_requests', 'role_assignments', 'pim_approvals'];

type Ev = Omit<PimEventSpec, 'operationType' | 'plane' | 'scope' | 'auditType'> & { plane?: PimEventSpec['plane'] };
const pim = (e: Ev): AuditRecord =>
  pimRecord({ plane: 'entra_role', scope: dir, auditType: 'X', operationType: 'Update', ...e }, tenant, rng);
const expiry = (
  p: Principal,
  role: { id: string; name: string },
  at: string,
  viaGroup?: { id: string; name: string },
) =>
  pim({
    activity: 'Remove member from role (PIM activation expired)',
    at: T(at),
    role,
    principal: p,
    actor: 'system',
    key: 'none',
    keyMode: 'none',
    principalSlot: 'late',
    viaGroup,
  });
const selfActivation = (
  p: Principal,
  role: { id: string; name: string },
  key: string,
  requested: string,
  activated: string,
  ends: string,
) => [
  pim({
    activity: 'Add member to role requested (PIM activation)',
    at: T(requested),
    role,
    principal: p,
    actor: p,
    key,
    keyMode: 'detail',
    extraDetails: { IsActivationRequireApproval: 'false' },
    client: { ip: '198.51.100.9', userAgent: 'Edge/140' },
  }),
  pim({
    activity: 'Add member to role completed (PIM activation)',
    at: T(activated),
    role,
    principal: p,
    actor: p,
    key,
    keyMode: 'detail',
    extraDetails: { StartTime: T(activated).toISOString(), ExpirationTime: T(ends).toISOString() },
  }),
];

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function write(path: string, records: unknown[]): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

async function difference(a: string, b: string, table: string): Promise<number> {
  const db = await Db.open(':memory:');
  try {
    await db.run(`ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY);`);
    const r = await db.one<{
      n: bigint;
    }>(`SELECT (SELECT count(*) FROM (SELECT * FROM a.${table} EXCEPT ALL SELECT * FROM b.${table}))
      + (SELECT count(*) FROM (SELECT * FROM b.${table} EXCEPT ALL SELECT * FROM a.${table})) AS n`);
    return Number(r!.n);
  } finally {
    db.close();
  }
}

describe('1. activations already running when the data begins', () => {
  const d = join(tmp.dir, 'running');
  const config = testConfig({}, d);
  const db = join(d, 'p.duckdb');
  // The earlier export, imported after the first: it holds Alice's activation.
  const earlier = () =>
    write(
      join(d, 'earlier.ndjson'),
      selfActivation(
        alice,
        ROLES.userAdmin,
        'k-alice',
        '2026-09-30T22:59:00Z',
        '2026-09-30T23:00:00Z',
        '2026-10-01T03:00:00Z',
      ),
    );
  const oct = () => metricsReport_(db, config, '2026-10-01', '2026-11-01');

  beforeAll(async () => {
    const first = write(join(d, 'first.ndjson'), [
      // The earliest event held: Bob's request at 00:59 (the coverage start of this tenant's file imports).
      ...selfActivation(
        bob,
        ROLES.exchangeAdmin,
        'k-bob',
        '2026-10-01T00:59:00Z',
        '2026-10-01T01:00:00Z',
        '2026-10-01T02:00:00Z',
      ),
      pim({
        activity: 'Remove member from role (PIM activation expired)',
        at: T('2026-10-01T02:00:05Z'),
        role: ROLES.exchangeAdmin,
        principal: bob,
        actor: 'system',
        key: 'k-bob',
        keyMode: 'detail',
        principalSlot: 'late',
      }),
      // Alice's expiry, as real ones are: no StartTime, no key. Her activation is older than the file.
      expiry(alice, ROLES.userAdmin, '2026-10-01T03:00:05Z'),
      // Carol deactivates at 10:00 an activation the log does not hold; a snapshot at 08:00 saw it start at 07:30.
      pim({
        activity: 'Remove member from role requested (PIM deactivate)',
        at: T('2026-10-02T09:59:59Z'),
        role: ROLES.helpdeskAdmin,
        principal: carol,
        actor: carol,
        key: 'd-carol',
        keyMode: 'detail',
      }),
      pim({
        activity: 'Remove member from role completed (PIM deactivate)',
        at: T('2026-10-02T10:00:00Z'),
        role: ROLES.helpdeskAdmin,
        principal: carol,
        actor: carol,
        key: 'd-carol',
        keyMode: 'detail',
      }),
    ]);
    const snap = join(d, 'snapshot', 'roleAssignmentScheduleInstances.json');
    mkdirSync(join(d, 'snapshot'), { recursive: true });
    writeFileSync(
      snap,
      JSON.stringify({
        '@odata.context':
          'https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignmentScheduleInstances(principal())',
        'value': [
          {
            id: 'i-carol',
            principalId: carol.id,
            roleDefinitionId: ROLES.helpdeskAdmin.id,
            directoryScopeId: '/',
            startDateTime: '2026-10-02T07:30:00Z',
            endDateTime: '2026-10-02T15:30:00Z',
            memberType: 'Direct',
            assignmentType: 'Activated',
          },
        ],
      }),
    );
    utimesSync(snap, T('2026-10-02T08:00:00Z'), T('2026-10-02T08:00:00Z'));
    await importPaths(db, config, [first, snap]);
  });

  it('keeps every end: the start from the snapshot, else the coverage start, flagged', async () => {
    const rows = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT principal_upn, started_at, ended_at, end_reason, start_known, start_source, coverage_start, activated_at FROM pim_activations ORDER BY principal_upn`,
      ),
    );
    expect(
      rows.map((r) => [
        r.principal_upn,
        (r.started_at as Date).toISOString(),
        (r.ended_at as Date).toISOString(),
        r.end_reason,
        r.start_known,
        r.start_source,
      ]),
    ).toEqual([
      // Alice: from the coverage start (Bob's request, 00:59) to the expiry record (03:00:05, no stated end).
      [
        'alice@fidelity.example',
        '2026-10-01T00:59:00.000Z',
        '2026-10-01T03:00:05.000Z',
        'expired',
        false,
        'coverage_start',
      ],
      ['bob@fidelity.example', '2026-10-01T01:00:00.000Z', '2026-10-01T02:00:00.000Z', 'expired', true, 'activation'],
      [
        'carol@fidelity.example',
        '2026-10-02T07:30:00.000Z',
        '2026-10-02T10:00:00.000Z',
        'deactivated',
        true,
        'snapshot',
      ],
    ]);
    expect((rows[0].coverage_start as Date).toISOString()).toBe('2026-10-01T00:59:00.000Z');
    expect(rows[0].activated_at).toBeNull();
  });

  it('flags the admin-month whose hours are a lower bound, and says so in the text', async () => {
    const r = await oct();
    const by = Object.fromEntries(r.activeHours.map((h) => [h.principalUpn, h]));
    // Alice: 00:59:00 → 03:00:05 = 2 h 1 min 5 s = 2.018056 h, at least.
    expect(by['alice@fidelity.example']).toMatchObject({
      activations: 1,
      hoursLowerBound: true,
      lowerBoundActivations: 1,
    });
    expect(by['alice@fidelity.example'].hours).toBeCloseTo(2 + 65 / 3600, 5);
    expect(by['bob@fidelity.example']).toMatchObject({
      activations: 1,
      hours: 1,
      hoursLowerBound: false,
      lowerBoundActivations: 0,
    });
    // Carol: 07:30 → 10:00 from the snapshot's start = 2.5 h, known.
    expect(by['carol@fidelity.example']).toMatchObject({ activations: 1, hours: 2.5, hoursLowerBound: false });
    // Time to activate is unaffected: only Bob's request (60 s) is a request.
    expect(r.timeToActivate.self).toMatchObject({ count: 1, p50Seconds: 60 });
    const text = metricsText(r);
    expect(text).toContain('≥5.5 hours');
    expect(text).toContain('alice@fidelity.example ≥2.0h');
    expect(text).toContain('lower bound: 1 activation(s) of 1 admin(s) began before the data');
  });

  it('the report marks the lower bound beside the hours and says how many activations began before the data', async () => {
    const model = await withDb(db, config, (x) =>
      buildReport(
        x,
        config,
        { from: T('2026-10-01'), to: T('2026-11-01'), asOf: T('2026-11-01') },
        { compare: 0, pseudonymize: false },
      ),
    );
    const md = renderMarkdown(model);
    // Alice's 2.018 h rounded as metrics round it, with ≥; Bob's and Carol's hours are exact, without.
    expect(md).toMatch(/\| alice@fidelity\.example \| 2026-10 \| 1 \| ≥2\.0\d* \|/);
    expect(md).toMatch(/\| bob@fidelity\.example \| 2026-10 \| 1 \| 1 \|/);
    expect(md).toContain('1 activation began before the data');
    const html = renderHtml(model);
    expect(html).toMatch(/<td>alice@fidelity\.example<\/td><td>2026-10<\/td><td>1<\/td><td>≥2\.0\d*<\/td>/);
    expect(html).toContain('<p class="note">1 activation began before the data');
  });

  it('turns the flagged row into an ordinary one when the earlier file arrives, as a full rebuild does', async () => {
    await importPaths(db, config, [earlier()]);
    const r = await oct();
    // Alice now: 23:00 → 03:00 (the stated end), 3 h in October (and 1 h in September), known.
    expect(r.activeHours.find((h) => h.principalUpn === 'alice@fidelity.example')).toMatchObject({
      activations: 0,
      hours: 3,
      hoursLowerBound: false,
    });
    const fresh = join(d, 'fresh');
    const freshConfig = testConfig({}, fresh);
    const freshDb = join(fresh, 'p.duckdb');
    mkdirSync(fresh, { recursive: true });
    await importPaths(freshDb, freshConfig, [
      join(d, 'first.ndjson'),
      join(d, 'snapshot', 'roleAssignmentScheduleInstances.json'),
      join(d, 'earlier.ndjson'),
    ]);
    for (const table of DERIVED) expect(await difference(db, freshDb, table), table).toBe(0);
  });
});

async function metricsReport_(db: string, config: ReturnType<typeof testConfig>, from: string, to: string) {
  return withDb(db, config, (x) => metricsReport(x, config, { from: T(from), to: T(to), asOf: T(to) }));
}

describe("2-6. the requester's address and client, role-only requests, tenant, agents, groups", () => {
  const d = join(tmp.dir, 'fields');
  const config = testConfig({}, d);
  const db = join(d, 'p.duckdb');
  const agent: Principal = {
    id: 'e0000000-0000-4000-8000-00000000000e',
    upn: 'agent@fidelity.example',
    name: 'Agent',
    type: 'User',
    agentType: 'agentIdentity',
  };
  const group = { id: 'f0000000-0000-4000-8000-00000000000f', name: 'RoleGroup-Exchange' };
  let request: AuditRecord;

  beforeAll(async () => {
    // Alice's request names only the Role target; the address is only in ipaddr.
    request = pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T('2026-10-05T09:00:00Z'),
      role: ROLES.userAdmin,
      principal: alice,
      actor: alice,
      key: 'k-ip',
      keyMode: 'detail',
      roleOnly: true,
      client: { ip: '198.51.100.44', userAgent: 'Mozilla/5.0 Edge/140' },
    });
    const records = [
      request,
      pim({
        activity: 'Add member to role completed (PIM activation)',
        at: T('2026-10-05T09:01:00Z'),
        role: ROLES.userAdmin,
        principal: alice,
        actor: alice,
        key: 'k-ip',
        keyMode: 'detail',
        extraDetails: { StartTime: '2026-10-05T09:01:00Z', ExpirationTime: '2026-10-05T10:01:00Z' },
      }),
      // An administrator's assignment that lists only the Role: never the initiator's.
      pim({
        activity: 'Add eligible member to role in PIM requested (permanent)',
        at: T('2026-10-05T11:00:00Z'),
        role: ROLES.securityAdmin,
        principal: carol,
        actor: lead,
        key: 'k-admin',
        keyMode: 'detail',
        roleOnly: true,
      }),
      // Bob holds Exchange Administrator through a group: the expiry lists the Group beside the User.
      ...selfActivation(
        bob,
        ROLES.exchangeAdmin,
        'k-group',
        '2026-10-06T08:59:00Z',
        '2026-10-06T09:00:00Z',
        '2026-10-06T11:00:00Z',
      ),
      expiry(bob, ROLES.exchangeAdmin, '2026-10-06T11:00:04Z', group),
      // An agent identity activating a role.
      pim({
        activity: 'Add member to role requested (PIM activation)',
        at: T('2026-10-07T09:00:00Z'),
        role: ROLES.securityAdmin,
        principal: agent,
        actor: agent,
        key: 'k-agent',
        keyMode: 'detail',
        client: { ip: '192.0.2.200', userAgent: 'agent-runtime/1.0' },
      }),
    ];
    await importPaths(db, config, [write(join(d, 'graph.ndjson'), records)]);
  });

  it('fills actor_ip from ipaddr and keeps the User-Agent, in every shape', async () => {
    // The same request as a Log Analytics row and as a diagnostic record without envelope or category.
    const la = { ...toLogAnalyticsRow(request, tenant.id), Id: 'la-copy' };
    const diag = {
      time: request.activityDateTime,
      tenantId: tenant.id,
      operationName: request.activityDisplayName,
      callerIpAddress: '<null>',
      properties: { ...request, id: 'diag-copy' },
    };
    const d2 = join(tmp.dir, 'shapes');
    const c2 = testConfig({}, d2);
    const db2 = join(d2, 'p.duckdb');
    await importPaths(db2, c2, [write(join(d2, 'la.json'), [la]), write(join(d2, 'diag.json'), [diag])]);
    const rows = await withDb(db2, c2, (x) =>
      x.all<Record<string, unknown>>(
        'SELECT event_id, actor_ip, user_agent, tenant_id FROM audit_events ORDER BY event_id',
      ),
    );
    expect(rows).toEqual([
      { event_id: 'diag-copy', actor_ip: '198.51.100.44', user_agent: 'Mozilla/5.0 Edge/140', tenant_id: tenant.id },
      { event_id: 'la-copy', actor_ip: '198.51.100.44', user_agent: 'Mozilla/5.0 Edge/140', tenant_id: tenant.id },
    ]);
    const trace = await withDb(db, config, (x) => runQuery(x, 'request_trace', { request: 'k-ip' }));
    expect(trace[0]).toMatchObject({
      step: 'act_requested',
      actor_ip: '198.51.100.44',
      user_agent: 'Mozilla/5.0 Edge/140',
    });
    const story = await withDb(db, config, (x) => explainRequest(x, 'k-ip'));
    expect(story).toContain('It came from 198.51.100.44 using Mozilla/5.0 Edge/140.');
  });

  it("gives a self-activation that names only the role to its initiator, never an admin's assignment", async () => {
    const rows = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT request_key, step, principal_id, principal_upn, principal_type FROM int_pim_events
       WHERE request_key IN ('k-ip', 'k-admin') AND step IN ('act_requested', 'assign_requested') ORDER BY request_key`,
      ),
    );
    // The request record itself (its partition: keyless pairing looks there), not only the request row.
    expect(rows).toEqual([
      {
        request_key: 'k-admin',
        step: 'assign_requested',
        principal_id: null,
        principal_upn: null,
        principal_type: null,
      },
      {
        request_key: 'k-ip',
        step: 'act_requested',
        principal_id: alice.id,
        principal_upn: 'alice@fidelity.example',
        principal_type: 'user',
      },
    ]);
  });

  it('carries the address, client, group and known start to the Sentinel rows', async () => {
    const req = await withDb(db, config, (x) => runQuery(x, 'sentinel_requests', {}));
    expect(req.filter((r) => r.request_key === 'k-ip').map((r) => [r.actor_ip, r.user_agent])).toEqual([
      ['198.51.100.44', 'Mozilla/5.0 Edge/140'],
    ]);
    const act = await withDb(db, config, (x) => runQuery(x, 'sentinel_activations', {}));
    expect(
      act
        .filter((r) => r.request_key === 'k-group')
        .map((r) => [r.actor_ip, r.user_agent, r.via_group_id, r.via_group_name, r.start_known]),
    ).toEqual([['198.51.100.9', 'Edge/140', group.id, group.name, true]]);
  });

  it("takes a Graph record's tenant from its tid detail", async () => {
    const r = await withDb(db, config, (x) =>
      x.all<{ tenant_id: string | null }>('SELECT DISTINCT tenant_id FROM audit_events'),
    );
    expect(r).toEqual([{ tenant_id: tenant.id }]);
  });

  it('keeps the agent type of initiator and principal', async () => {
    const r = await withDb(db, config, (x) =>
      x.one<Record<string, unknown>>(
        `SELECT actor_agent_type, principal_agent_type FROM audit_events WHERE request_key = 'k-agent'`,
      ),
    );
    expect(r).toEqual({ actor_agent_type: 'agentIdentity', principal_agent_type: 'agentIdentity' });
    const people = await withDb(db, config, (x) =>
      x.one<{ n: bigint }>(
        `SELECT count(*) AS n FROM audit_events WHERE request_key = 'k-ip' AND actor_agent_type = 'notAgentic'`,
      ),
    );
    // Alice's request and completion: a person.
    expect(Number(people!.n)).toBe(2);
  });

  it('attributes a role held through a group to the user, keeps the group, counts it once', async () => {
    const rows = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT principal_upn, via_group_id, via_group_name, end_reason FROM pim_activations WHERE role_id = '${ROLES.exchangeAdmin.id}'`,
      ),
    );
    expect(rows).toEqual([
      {
        principal_upn: 'bob@fidelity.example',
        via_group_id: group.id,
        via_group_name: group.name,
        end_reason: 'expired',
      },
    ]);
    // 09:00 → 11:00 (the stated end): 2 h, once.
    const r = await metricsReport_(db, config, '2026-10-01', '2026-11-01');
    expect(r.activeHours.find((h) => h.principalUpn === 'bob@fidelity.example')).toMatchObject({
      activations: 1,
      hours: 2,
    });
    const timeline = await withDb(db, config, (x) =>
      runQuery(x, 'principal_timeline', { principal: bob.upn, from: '2026-10-06', to: '2026-10-07' }),
    );
    expect(timeline.find((e) => e.activity === 'Remove member from role (PIM activation expired)')?.via_group).toBe(
      group.name,
    );
    const story = await withDb(db, config, (x) => explainRequest(x, 'k-group'));
    expect(story).toContain(`held it through the group ${group.name}`);
  });
});

describe('6. standing access held through a role-assignable group', () => {
  const d = join(tmp.dir, 'standing-group');
  const config = testConfig({}, d);
  const db = join(d, 'p.duckdb');
  const tier0: Principal = { id: '90000000-0000-4000-8000-000000000009', name: 'Tier0-Operators', type: 'Group' };
  const exo: Principal = { id: '91000000-0000-4000-8000-000000000091', name: 'Exchange-Ops', type: 'Group' };
  const groupTarget = (g: Principal) => ({
    id: g.id,
    displayName: g.name,
    type: 'Group',
    userPrincipalName: null,
    groupType: 'unknownFutureValue',
    modifiedProperties: [],
  });
  const assigned = (p: Principal, role: { id: string; name: string }, key: string, at: string) =>
    pim({
      activity: 'Add member to role in PIM completed (permanent)',
      at: T(at),
      role,
      principal: p,
      actor: lead,
      key,
      keyMode: 'detail',
    });
  const graphPrincipal = (p: Principal) => ({
    '@odata.type': `#microsoft.graph.${p.type === 'Group' ? 'group' : 'user'}`,
    'id': p.id,
    'displayName': p.name,
    'userPrincipalName': p.upn ?? null,
  });
  const instance = (
    id: string,
    p: Principal,
    role: { id: string },
    memberType: 'Direct' | 'Group',
    ids: Record<string, string>,
  ) => ({
    id,
    principalId: p.id,
    roleDefinitionId: role.id,
    directoryScopeId: '/',
    startDateTime: '2026-10-01T08:00:03Z',
    endDateTime: null,
    memberType,
    ...ids,
    principal: graphPrincipal(p),
  });
  const saved = (name: string, value: unknown[]) => {
    const f = join(d, 'snap', `${name}.json`);
    mkdirSync(join(d, 'snap'), { recursive: true });
    writeFileSync(
      f,
      JSON.stringify({
        '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/${name}(principal())`,
        value,
      }),
    );
    utimesSync(f, T('2026-10-20T00:00:00Z'), T('2026-10-20T00:00:00Z'));
    return f;
  };
  const standing = (asOf: string) =>
    withDb(db, config, (x) => runQuery(x, 'standing_assignments', { as_of: asOf, break_glass_accounts: [] }));
  const row = (r: Record<string, unknown>) => [r.principal_id, r.role_id, r.via_group_name ?? null, r.via_pim ?? null];

  beforeAll(async () => {
    // The log: PAA assigned to the group; a record about Alice that lists the Group beside her (she
    // holds PAA through it); GA assigned to Carol directly.
    const toAlice = assigned(alice, ROLES.privilegedAuthAdmin, 'k-alice', '2026-10-02T08:00:00Z');
    (toAlice.targetResources as unknown[]).push(groupTarget(tier0));
    await importPaths(db, config, [
      write(join(d, 'graph.ndjson'), [
        assigned(tier0, ROLES.privilegedAuthAdmin, 'k-group', '2026-10-01T08:00:00Z'),
        toAlice,
        assigned(carol, ROLES.globalAdmin, 'k-carol', '2026-10-03T08:00:00Z'),
      ]),
    ]);
  });

  it('audit replay: the group named on the member the record lists, the group itself counted in her', async () => {
    const rows = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT principal_id, principal_type, member_type, via_group_id, via_group_name FROM role_assignments ORDER BY start_at`,
      ),
    );
    expect(rows).toEqual([
      {
        principal_id: tier0.id,
        principal_type: 'group',
        member_type: 'direct',
        via_group_id: null,
        via_group_name: null,
      },
      {
        principal_id: alice.id,
        principal_type: 'user',
        member_type: 'group',
        via_group_id: tier0.id,
        via_group_name: tier0.name,
      },
      {
        principal_id: carol.id,
        principal_type: 'user',
        member_type: 'direct',
        via_group_id: null,
        via_group_name: null,
      },
    ]);
    // Three assignments seen; the group's is counted in the one member the log names: Alice (through
    // Tier0-Operators) and Carol, 2.
    expect((await standing('2026-10-10T00:00:00Z')).map(row)).toEqual([
      [alice.id, ROLES.privilegedAuthAdmin.id, tier0.name, true],
      [carol.id, ROLES.globalAdmin.id, null, true],
    ]);
  });

  it('snapshot: each member who holds the role through the group, the group named, the group not again', async () => {
    await importPaths(db, config, [
      saved('roleAssignmentScheduleInstances', [
        instance('g', tier0, ROLES.privilegedAuthAdmin, 'Direct', {
          roleAssignmentScheduleId: 's1',
          roleAssignmentOriginId: 'o1',
        }),
        // Alice by the shared schedule, Bob by the shared origin id.
        instance('g-a', alice, ROLES.privilegedAuthAdmin, 'Group', {
          roleAssignmentScheduleId: 's1',
          roleAssignmentOriginId: 'o1',
        }),
        instance('g-b', bob, ROLES.privilegedAuthAdmin, 'Group', { roleAssignmentOriginId: 'o1' }),
        instance('c', carol, ROLES.globalAdmin, 'Direct', { roleAssignmentScheduleId: 's3' }),
        // A group whose members the snapshot does not list: the group is all there is to show.
        instance('x', exo, ROLES.exchangeAdmin, 'Direct', { roleAssignmentScheduleId: 's2' }),
        // Through a group the snapshot does not hold: a member, group unknown.
        instance('l', lead, ROLES.securityAdmin, 'Group', { roleAssignmentScheduleId: 's9' }),
      ]),
      saved('roleEligibilityScheduleInstances', [
        instance('ge', tier0, ROLES.securityAdmin, 'Direct', { roleEligibilityScheduleId: 'e1' }),
        instance('ge-b', bob, ROLES.securityAdmin, 'Group', { roleEligibilityScheduleId: 'e1' }),
      ]),
    ]);
    const snap = await withDb(db, config, (x) =>
      x.all<Record<string, unknown>>(
        `SELECT source_event_id, kind, member_type, via_group_name FROM role_assignments WHERE source = 'snapshot' ORDER BY kind, source_event_id`,
      ),
    );
    expect(snap.map((r) => [r.source_event_id, r.kind, r.member_type, r.via_group_name ?? null])).toEqual([
      ['c', 'active', 'direct', null],
      ['g', 'active', 'direct', null],
      ['g-a', 'active', 'group', tier0.name],
      ['g-b', 'active', 'group', tier0.name],
      ['l', 'active', 'group', null],
      ['x', 'active', 'direct', null],
      ['ge', 'eligible', 'direct', null],
      ['ge-b', 'eligible', 'group', tier0.name],
    ]);
    // Six active instances; Tier0-Operators' is its two members': 5 items. How each was assigned comes
    // from the log: Alice's and Bob's from the group's PIM assignment (and Alice's own record), Carol's
    // from hers; Exchange-Ops and Lead the log never saw (NULL).
    expect((await standing('2026-10-21T00:00:00Z')).map(row)).toEqual(
      [
        [alice.id, ROLES.privilegedAuthAdmin.id, tier0.name, true],
        [bob.id, ROLES.privilegedAuthAdmin.id, tier0.name, true],
        [carol.id, ROLES.globalAdmin.id, null, true],
        [lead.id, ROLES.securityAdmin.id, null, null],
        [exo.id, ROLES.exchangeAdmin.id, null, null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const r = await metricsReport_(db, config, '2026-10-01', '2026-10-21');
    expect(r.standingAssignments).toMatchObject({ basis: 'snapshot', total: 5, excludingBreakGlass: 5 });
    expect(r.standingAssignments.items.find((i) => i.principalId === bob.id)).toMatchObject({
      principalUpn: 'bob@fidelity.example',
      viaGroupId: tier0.id,
      viaGroupName: tier0.name,
    });
    expect(metricsText(r)).toContain(
      'bob@fidelity.example (user) holds Privileged Authentication Administrator through the group Tier0-Operators since 2026-10-01',
    );
  });
});

describe('issue 23: a member activation of a group that carries an Entra role', () => {
  const d = join(tmp.dir, 'carried');
  const config = testConfig({}, d);
  const db = join(d, 'p.duckdb');
  const carrier = { id: '92000000-0000-4000-8000-000000000092', name: 'Tier0-Carrier' };
  const plain = { id: '93000000-0000-4000-8000-000000000093', name: 'Plain-Group' };
  const member = { id: 'member', name: 'Member' };
  // A PIM for Groups activation: GroupManagement records only, the group as the scope.
  const groupActivation = (p: Principal, g: { id: string; name: string }, key: string, at: string, hours: number) => {
    const granted = new Date(T(at).getTime() + 30_000);
    const ends = new Date(granted.getTime() + hours * 3_600_000);
    const ev = { role: member, principal: p, actor: p, key, keyMode: 'detail' as const, plane: 'group' as const };
    return [
      pimRecord(
        {
          ...ev,
          activity: 'Add member to role requested (PIM activation)',
          at: T(at),
          scope: g,
          auditType: 'X',
          operationType: 'Update',
          extraDetails: { IsActivationRequireApproval: 'false' },
        },
        tenant,
        rng,
      ),
      pimRecord(
        {
          ...ev,
          activity: 'Add member to role completed (PIM activation)',
          at: granted,
          scope: g,
          auditType: 'X',
          operationType: 'Update',
          extraDetails: { StartTime: granted.toISOString(), ExpirationTime: ends.toISOString() },
        },
        tenant,
        rng,
      ),
    ];
  };

  beforeAll(async () => {
    await importPaths(db, config, [
      write(join(d, 'graph.ndjson'), [
        // Tier0-Carrier holds Privileged Authentication Administrator from 1 October 08:00.
        pim({
          activity: 'Add member to role in PIM completed (permanent)',
          at: T('2026-10-01T08:00:00Z'),
          role: ROLES.privilegedAuthAdmin,
          principal: { ...carrier, type: 'Group' },
          actor: lead,
          key: 'k-carrier',
          keyMode: 'detail',
        }),
        // Carol activates the group on 30 September, before it held the role: a group activation (1 h).
        ...groupActivation(carol, carrier, 'k-before', '2026-09-30T10:00:00Z', 1),
        // Alice activates it on 5 October: an elevation into PAA (2 h, granted in 30 s).
        ...groupActivation(alice, carrier, 'k-carried', '2026-10-05T09:00:00Z', 2),
        // Bob activates a group that holds no role: a group activation (1 h, 30 s).
        ...groupActivation(bob, plain, 'k-plain', '2026-10-05T12:00:00Z', 1),
      ]),
    ]);
  });

  it('counts in active hours and time to activate under Entra roles, once, and not under the group plane', async () => {
    const hours = await withDb(db, config, (x) =>
      runQuery(x, 'active_hours', { from: '2026-09-01', to: '2026-11-01', as_of: '2026-11-01' }),
    );
    expect(hours.map((h) => [h.plane, h.principal_upn, h.month, Number(h.activations), h.hours])).toEqual([
      ['entra_role', 'alice@fidelity.example', '2026-10', 1, 2],
      ['group', 'bob@fidelity.example', '2026-10', 1, 1],
      ['group', 'carol@fidelity.example', '2026-09', 1, 1],
    ]);
    const tta = await withDb(db, config, (x) =>
      runQuery(x, 'time_to_activate', {
        from: '2026-09-01',
        to: '2026-11-01',
        self_target_seconds: 300,
        approval_target_seconds: 1800,
      }),
    );
    expect(tta.map((t) => [t.plane, t.route, Number(t.count), t.max_seconds])).toEqual([
      ['entra_role', 'self', 1, 30],
      ['group', 'self', 2, 30],
    ]);
    const r = await metricsReport_(db, config, '2026-10-01', '2026-11-01');
    expect(r.activeHours).toEqual([
      expect.objectContaining({ principalUpn: 'alice@fidelity.example', activations: 1, hours: 2 }),
    ]);
    expect(r.timeToActivate.self.count).toBe(1);
    expect(r.byPlane.group?.activeHours.map((h) => h.principalUpn)).toEqual(['bob@fidelity.example']);
  });
});

describe('7. shapes seen in the field', () => {
  it('imports a bare Graph object, a diagnostic record without envelope or category, and a Graph Explorer paste', async () => {
    const d = join(tmp.dir, 'field-shapes');
    const config = testConfig({}, d);
    const db = join(d, 'p.duckdb');
    mkdirSync(d, { recursive: true });
    const one = pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T('2026-10-08T09:00:00Z'),
      role: ROLES.userAdmin,
      principal: alice,
      actor: alice,
      key: 'k-bare',
      keyMode: 'detail',
    });
    const two = pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T('2026-10-08T10:00:00Z'),
      role: ROLES.userAdmin,
      principal: alice,
      actor: alice,
      key: 'k-diag',
      keyMode: 'detail',
    });
    const three = pim({
      activity: 'Add member to role requested (PIM activation)',
      at: T('2026-10-08T11:00:00Z'),
      role: ROLES.userAdmin,
      principal: alice,
      actor: alice,
      key: 'k-paste',
      keyMode: 'detail',
    });
    writeFileSync(join(d, 'bare.json'), JSON.stringify(one, null, 2));
    writeFileSync(
      join(d, 'diag.json'),
      JSON.stringify({
        time: two.activityDateTime,
        tenantId: tenant.id,
        operationName: two.activityDisplayName,
        callerIpAddress: '<null>',
        properties: two,
      }),
    );
    // Graph Explorer: the response pane, pretty-printed, with its context and no next page.
    writeFileSync(
      join(d, 'explorer.json'),
      JSON.stringify(
        { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits', 'value': [three] },
        null,
        4,
      ),
    );
    const summary = await importPaths(db, config, [
      join(d, 'bare.json'),
      join(d, 'diag.json'),
      join(d, 'explorer.json'),
    ]);
    expect(summary).toMatchObject({ files: 3, new: 3, quarantined: 0 });
    const keys = await withDb(db, config, (x) =>
      x.all<{ request_key: string }>('SELECT request_key FROM audit_events ORDER BY request_key'),
    );
    expect(keys.map((k) => k.request_key)).toEqual(['k-bare', 'k-diag', 'k-paste']);
  });
});
