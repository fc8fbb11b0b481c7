// Issue 19 against the loopback fake: the users snapshot under signInActivity's own throttle (10 a
// minute, on a scaled window in both pimops and the fake), users without sign-in data as a warning
// and "not computable", non-interactive break-glass sign-ins, each cloud preset's hosts and
// audiences, retention from the licence, doctor's documented probes, and Sentinel text cut by bytes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { parseConfig } from '../core/config.js';
import { cloudEndpoints, CLOUDS } from '../core/cloud.js';
import { createCredential } from '../core/azure.js';
import { withDb } from '../cli/pipeline.js';
import { ingestGraph, ingestSnapshot, ingestLogAnalytics } from '../cli/pulls.js';
import { runChecks } from '../reports/checks.js';
import { runDoctor } from '../ingest/doctor.js';
import { uploadRows } from '../reports/sentinel/upload.js';
import { cutUtf8, MAX_TEXT_BYTES } from '../reports/sentinel/rows.js';
import { SENTINEL_TABLES, streamName } from '../reports/sentinel/tables.js';
import { USERS_PER_REQUEST } from '../ingest/graph/snapshot.js';
import { ROLES } from '../fixtures/generator/index.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
let fake: FakeAzure;
const NOW = new Date('2026-10-01T00:00:00Z');
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const USERS = 300; // 20 batches of 15: two windows of signInActivity's budget
const WINDOW_MS = 400; // 10 requests a minute, scaled: 10 per 400 ms in pimops and in the fake

beforeAll(async () => {
  fake = await startFakeAzure();
  Object.assign(process.env, fakeEnv(fake));
  fake.state['/roleManagement/directory/roleAssignmentScheduleInstances'] = Array.from({ length: USERS }, (_, i) => ({
    id: `a-${i}`,
    principalId: guid(i),
    roleDefinitionId: ROLES.globalAdmin.id,
    directoryScopeId: '/',
    startDateTime: '2026-01-01T00:00:00Z',
    endDateTime: null,
    memberType: 'Direct',
    assignmentType: 'Assigned',
    principal: {
      '@odata.type': '#microsoft.graph.user',
      'id': guid(i),
      'userPrincipalName': `admin${i}@contoso.example`,
    },
  }));
  for (const p of [
    '/roleManagement/directory/roleEligibilityScheduleInstances',
    '/policies/roleManagementPolicyAssignments',
    '/roleManagement/directory/roleDefinitions',
    '/identityGovernance/accessReviews/definitions',
  ])
    fake.state[p] = [];
  for (let i = 0; i < USERS; i++) {
    fake.users[guid(i)] = {
      id: guid(i),
      userPrincipalName: `admin${i}@contoso.example`,
      displayName: `Admin ${i}`,
      accountEnabled: true,
      lastPasswordChangeDateTime: '2026-01-01T00:00:00Z',
      // Half signed in lately, half long ago: the stale-account check has something to judge.
      signInActivity: {
        lastSignInDateTime: i % 2 ? '2026-09-20T00:00:00Z' : '2026-01-02T00:00:00Z',
        lastSuccessfulSignInDateTime: i % 2 ? '2026-09-20T00:00:00Z' : '2026-01-02T00:00:00Z',
      },
    };
  }
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

let n = 0;
function workspace(azure: Record<string, unknown> = {}, over: Record<string, unknown> = {}) {
  const d = join(tmp.dir, `w${n++}`);
  const config = testConfig(
    {
      ...over,
      // The directory budget wide open: only signInActivity's own limiter stands between pimops and the fake's throttle.
      azure: fakeAzureConfig(fake, {
        signInActivityRequestsPerWindow: 10,
        signInActivityWindowSeconds: WINDOW_MS / 1000,
        directoryRequestsPerSecond: 1000,
        maxRetries: 2,
        ...azure,
      }),
    },
    d,
  );
  return { d, db: join(d, 'p.duckdb'), config };
}
const staleFindings = (db: string, config: ReturnType<typeof testConfig>) =>
  withDb(db, config, (x) =>
    runChecks(x, config, { from: new Date('2026-09-01T00:00:00Z'), to: NOW, asOf: NOW }, ['stale_account']),
  );

describe('users snapshot (item 1)', () => {
  it('lists users 15 at a time, paced under a 10-a-window throttle, and lands every one with its sign-in data', async () => {
    fake.signInActivityThrottle = { limit: 10, windowMs: WINDOW_MS };
    const w = workspace();
    const start = fake.userRequests.length;
    const r = await ingestSnapshot(w.db, w.config, NOW);
    const requests = fake.userRequests.slice(start);
    expect(requests.filter((q) => q.status === 429)).toEqual([]);
    const withSignIn = requests.filter((q) => /signInActivity/.test(decodeURIComponent(q.url)));
    expect(withSignIn).toHaveLength(Math.ceil(USERS / USERS_PER_REQUEST));
    for (const q of requests)
      expect(decodeURIComponent(q.url).match(/'[0-9a-f-]{36}'/g)!.length).toBeLessThanOrEqual(15);
    const times = withSignIn.map((q) => q.at);
    expect(Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + WINDOW_MS).length))).toBeLessThanOrEqual(
      10,
    );
    expect(r.usersWithoutSignIn).toEqual([]);
    expect(r.gaps).toEqual({ warnings: [], failures: [] });
    const users = await withDb(w.db, w.config, (x) =>
      x.one<{ n: bigint; known: bigint }>(
        'SELECT count(*) AS n, count(*) FILTER (WHERE sign_in_known) AS known FROM directory_users',
      ),
    );
    expect({ n: Number(users!.n), known: Number(users!.known) }).toEqual({ n: USERS, known: USERS });
    const stale = await staleFindings(w.db, w.config);
    expect(stale.filter((f) => f.severity === 'medium')).toHaveLength(USERS / 2);
  });

  it('keeps going when signInActivity stays throttled: every user lands, those without sign-in data are a warning and not computable', async () => {
    fake.signInActivityThrottle = { limit: 0, windowMs: WINDOW_MS };
    try {
      const w = workspace({ maxRetries: 1 });
      const r = await ingestSnapshot(w.db, w.config, NOW);
      expect(r.usersWithoutSignIn).toHaveLength(USERS);
      expect(r.usersWithoutSignIn[0].reason).toMatch(/throttled \(429\)/);
      expect(r.gaps.failures).toEqual([]);
      expect(r.gaps.warnings.map((g) => g.name)).toEqual(['users.signInActivity']);
      const users = await withDb(w.db, w.config, (x) =>
        x.one<{ n: bigint; known: bigint }>(
          'SELECT count(*) AS n, count(*) FILTER (WHERE sign_in_known) AS known FROM directory_users',
        ),
      );
      expect({ n: Number(users!.n), known: Number(users!.known) }).toEqual({ n: USERS, known: 0 });
      const stale = await staleFindings(w.db, w.config);
      expect(stale.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(stale).toHaveLength(USERS);
      expect(stale[0].detail).toMatch(/^not computable for admin\d+@contoso\.example .*throttled/);
    } finally {
      fake.signInActivityThrottle = undefined;
    }
  });

  it('a user Graph returns without signInActivity (no P1/P2) is not judged stale', async () => {
    const saved = fake.users[guid(0)];
    fake.users[guid(0)] = { ...saved, signInActivity: undefined };
    try {
      const w = workspace();
      const r = await ingestSnapshot(w.db, w.config, NOW);
      expect(r.usersWithoutSignIn).toEqual([{ id: guid(0), reason: expect.stringMatching(/P1\/P2/) }]);
      const stale = await staleFindings(w.db, w.config);
      const mine = stale.filter((f) => f.subjectId === guid(0));
      expect(mine).toEqual([expect.objectContaining({ severity: 'info', observed: 'sign-in data unknown' })]);
    } finally {
      fake.users[guid(0)] = saved;
    }
  });
});

describe('break-glass sign-ins (item 2)', () => {
  const BG = 'bg1@contoso.example';
  beforeAll(() => {
    fake.signIns = [
      {
        id: 'si-i',
        createdDateTime: '2026-09-20T03:00:00Z',
        userId: guid(900),
        userPrincipalName: BG,
        appDisplayName: 'Azure Portal',
        ipAddress: '198.51.100.7',
        status: { errorCode: 0 },
        signInEventTypes: ['interactiveUser'],
      },
      // A script redeeming a refresh token: v1.0 signIns never shows it.
      {
        id: 'si-n',
        createdDateTime: '2026-09-21T03:00:00Z',
        userId: guid(900),
        userPrincipalName: BG,
        appDisplayName: 'Microsoft Azure PowerShell',
        ipAddress: '203.0.113.9',
        status: { errorCode: 0 },
        signInEventTypes: ['nonInteractiveUser'],
      },
    ];
  });
  afterAll(() => {
    fake.signIns = undefined;
  });

  it('finds a non-interactive sign-in through beta signIns, and the check counts it', async () => {
    const w = workspace({ auditRetentionDays: 30, betaSignIns: true }, { breakGlassAccounts: [BG] });
    const r = await ingestGraph(w.db, w.config, { since: new Date('2026-09-15T00:00:00Z'), until: NOW, now: NOW });
    expect(r.signIns).toBe(2);
    expect(
      fake.signInRequests.some(
        (u) =>
          u.startsWith('/beta/auditLogs/signIns') &&
          decodeURIComponent(u).includes("signInEventTypes/any(t: t eq 'nonInteractiveUser')"),
      ),
    ).toBe(true);
    const rows = await withDb(w.db, w.config, (x) =>
      x.all('SELECT sign_in_id, event_type FROM sign_ins ORDER BY sign_in_id'),
    );
    expect(rows).toEqual([
      { sign_in_id: 'si-i', event_type: 'interactiveUser' },
      { sign_in_id: 'si-n', event_type: 'nonInteractiveUser' },
    ]);
    const f = await withDb(w.db, w.config, (x) =>
      runChecks(x, w.config, { from: new Date('2026-09-01T00:00:00Z'), to: NOW, asOf: NOW }, ['break_glass_sign_in']),
    );
    expect(f).toEqual([
      expect.objectContaining({
        severity: 'critical',
        observed: '2 sign-in(s)',
        detail: expect.stringContaining('1 of them non-interactive'),
      }),
    ]);
  });

  it('without beta, says plainly that non-interactive use is not covered', async () => {
    const w = workspace({ auditRetentionDays: 30 }, { breakGlassAccounts: [BG] });
    const r = await ingestGraph(w.db, w.config, { since: new Date('2026-09-15T00:00:00Z'), until: NOW, now: NOW });
    expect(r.signIns).toBe(1);
    const f = await withDb(w.db, w.config, (x) =>
      runChecks(x, w.config, { from: new Date('2026-09-01T00:00:00Z'), to: NOW, asOf: NOW }, ['break_glass_sign_in']),
    );
    expect(f.map((x) => [x.severity, x.subjectName])).toEqual([
      ['critical', BG],
      ['info', 'non-interactive sign-ins unknown'],
    ]);
  });
});

describe('clouds (items 3 and 4)', () => {
  it('each preset sets every host and audience together; explicit settings override', () => {
    const got = Object.fromEntries(
      CLOUDS.map((cloud) => {
        const c = cloudEndpoints(parseConfig({ azure: { cloud } }));
        return [
          cloud,
          [
            c.graphEndpoint,
            c.authorityHost,
            c.logAnalyticsEndpoint,
            c.logAnalyticsAudience,
            c.ingestionAudience,
            c.armEndpoint,
            c.directoryAudits,
          ],
        ];
      }),
    );
    expect(got).toEqual({
      public: [
        'https://graph.microsoft.com',
        'https://login.microsoftonline.com',
        'https://api.loganalytics.io/v1',
        'https://api.loganalytics.io',
        'https://monitor.azure.com',
        'https://management.azure.com',
        true,
      ],
      usgov: [
        'https://graph.microsoft.us',
        'https://login.microsoftonline.us',
        'https://api.loganalytics.us/v1',
        'https://api.loganalytics.us',
        'https://monitor.azure.us',
        'https://management.usgovcloudapi.net',
        true,
      ],
      usgovdod: [
        'https://dod-graph.microsoft.us',
        'https://login.microsoftonline.us',
        'https://api.loganalytics.us/v1',
        'https://api.loganalytics.us',
        'https://monitor.azure.us',
        'https://management.usgovcloudapi.net',
        true,
      ],
      china: [
        'https://microsoftgraph.chinacloudapi.cn',
        'https://login.chinacloudapi.cn',
        'https://api.loganalytics.azure.cn/v1',
        'https://api.loganalytics.azure.cn',
        'https://monitor.azure.cn',
        'https://management.chinacloudapi.cn',
        false,
      ],
    });
    // Microsoft Learn's endpoint still wants the api.loganalytics.io audience (item 4).
    expect(
      cloudEndpoints(parseConfig({ azure: { logAnalyticsEndpoint: 'https://api.loganalytics.azure.com/v1' } }))
        .logAnalyticsAudience,
    ).toBe('https://api.loganalytics.io');
    const over = cloudEndpoints(
      parseConfig({
        azure: {
          cloud: 'usgov',
          graphEndpoint: 'https://graph.microsoft.com',
          logAnalyticsAudience: 'https://example.test',
        },
        sentinel: { audience: 'https://monitor.example.test' },
      }),
    );
    expect([
      over.graphEndpoint,
      over.graphAudience,
      over.logAnalyticsAudience,
      over.ingestionAudience,
      over.authorityHost,
    ]).toEqual([
      'https://graph.microsoft.com',
      'https://graph.microsoft.com',
      'https://example.test',
      'https://monitor.example.test',
      'https://login.microsoftonline.us',
    ]);
    expect(() => parseConfig({ azure: { cloud: 'germany' } })).toThrow(/azure\.cloud/);
  });

  for (const cloud of CLOUDS) {
    it(`${cloud}: Graph, Log Analytics and Logs Ingestion each get a token for the preset's audience`, async () => {
      const c = cloudEndpoints(parseConfig({ azure: { cloud } }));
      // The fake stands in for the cloud's hosts and refuses a token for any other audience.
      fake.audiences = {
        graph: new URL(c.graphEndpoint).origin,
        logAnalytics: c.logAnalyticsAudience,
        ingestion: c.ingestionAudience,
      };
      const table = SENTINEL_TABLES[0];
      fake.dcr = {
        immutableId: 'dcr-0123abcd',
        streams: { [streamName(table)]: [{ name: 'TimeGenerated', type: 'datetime' }] },
      };
      try {
        const w = workspace(
          { cloud, auditRetentionDays: 30 },
          { sentinel: { ingestionEndpoint: fake.url, dcrImmutableId: 'dcr-0123abcd' } },
        );
        if (c.directoryAudits) {
          const r = await ingestGraph(w.db, w.config, {
            since: new Date('2026-09-30T00:00:00Z'),
            until: NOW,
            now: NOW,
          });
          expect(r.pages).toBe(1);
        } else {
          const before = fake.graphRequests.length;
          await expect(
            ingestGraph(w.db, w.config, { since: new Date('2026-09-30T00:00:00Z'), until: NOW, now: NOW }),
          ).rejects.toMatchObject({
            code: 'usage',
            message: expect.stringMatching(/no auditLogs\/directoryAudits.*21Vianet.*ingest log-analytics/),
          });
          expect(fake.graphRequests.length).toBe(before);
        }
        fake.laHandler = () => ({ body: { tables: [{ name: 'PrimaryResult', columns: [], rows: [] }] } });
        const la = await ingestLogAnalytics(w.db, w.config, {
          workspaceId: 'ws-1',
          since: new Date('2026-09-30T00:00:00Z'),
          until: NOW,
        });
        expect(la.slices).toBe(1);
        const up = await uploadRows(w.config, createCredential(w.config), [
          {
            table: table.name,
            rowId: 'r1',
            hash: 'h',
            eventTime: null,
            deleted: false,
            payload: { TimeGenerated: NOW.toISOString() },
          },
        ]);
        expect(up.failed).toEqual([]);
        expect(fake.tokensIssued.some((t) => t.endsWith(`${c.ingestionAudience}/.default`))).toBe(true);
      } finally {
        fake.audiences = { ingestion: 'https://monitor.azure.com' };
        fake.dcr = undefined;
      }
    });
  }
});

describe('retention from the licence (item 5)', () => {
  const sku = (plan: string, status = 'Enabled') => ({
    skuPartNumber: 'SPE_E5',
    capabilityStatus: status,
    servicePlans: [{ servicePlanId: plan, servicePlanName: 'x' }],
  });
  it('30 days with a P1/P2 service plan, 7 without, and an assumption said aloud when subscribedSkus cannot be read', async () => {
    const pull = async () => {
      const w = workspace();
      return ingestGraph(w.db, w.config, { now: NOW });
    };
    try {
      fake.state['/subscribedSkus'] = [sku('eec0eb4f-6444-4f95-aba0-50c24d67f998')];
      const p2 = await pull();
      expect(p2.retention).toMatchObject({
        days: 30,
        basis: 'licence',
        note: expect.stringContaining('AAD_PREMIUM_P2'),
      });
      expect(p2.window.from).toBe(new Date(NOW.getTime() - 30 * 86_400_000).toISOString());
      fake.state['/subscribedSkus'] = [
        sku('41781fb2-bc02-4b7c-bd55-b576c07bb09d', 'Suspended'),
        sku('113feb6c-3fe4-4440-bddc-54d774bf0318'),
      ];
      const free = await pull();
      expect(free.retention).toMatchObject({ days: 7, basis: 'licence' });
      expect(free.window.from).toBe(new Date(NOW.getTime() - 7 * 86_400_000).toISOString());
      fake.state['/subscribedSkus'] = 403;
      const unknown = await pull();
      expect(unknown.retention).toMatchObject({
        days: 30,
        basis: 'assumed',
        note: expect.stringMatching(/assumes Entra ID P1\/P2.*403/),
      });
    } finally {
      delete fake.state['/subscribedSkus'];
    }
  });
});

describe('doctor (item 6)', () => {
  it('probes PIM endpoints with documented parameters only, and calls a 400 reachable', async () => {
    fake.state['/identityGovernance/accessReviews/definitions'] = [];
    const start = fake.stateRequests.length;
    const checks = await runDoctor(testConfig({ azure: fakeAzureConfig(fake) }));
    const pim = fake.stateRequests.slice(start).filter((u) => /^\/v1\.0\/(roleManagement|policies)\//.test(u));
    expect(pim.length).toBeGreaterThanOrEqual(4);
    for (const u of pim) expect(decodeURIComponent(u)).not.toMatch(/\$top/);
    const by = Object.fromEntries(checks.map((c) => [c.check, c]));
    expect(by['snapshot: roleEligibilityScheduleInstances']).toMatchObject({ ok: true, detail: 'answers' });
    const saved = fake.state['/roleManagement/directory/roleDefinitions'];
    fake.state['/roleManagement/directory/roleDefinitions'] = 400;
    try {
      const again = Object.fromEntries(
        (await runDoctor(testConfig({ azure: fakeAzureConfig(fake) }))).map((c) => [c.check, c]),
      );
      expect(again['snapshot: roleDefinitions']).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/^reachable, request refused \(400\)/),
      });
    } finally {
      fake.state['/roleManagement/directory/roleDefinitions'] = saved;
    }
  });
});

describe('Sentinel text (item 8)', () => {
  it('cuts by UTF-8 bytes, never inside a character', () => {
    const cjk = '権'.repeat(20_000); // 60,000 bytes in 20,000 characters
    const cut = cutUtf8(cjk);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    expect(cut).toMatch(/^権+… \[cut by pimops: 60000 bytes\]$/);
    const emoji = `a${'😀'.repeat(10_000)}`; // surrogate pairs, 4 bytes each
    const e = cutUtf8(emoji);
    expect(Buffer.byteLength(e)).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    expect(e).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(cutUtf8('x'.repeat(MAX_TEXT_BYTES))).toBe('x'.repeat(MAX_TEXT_BYTES));
  });
});
