// Workload identity federation from GitHub Actions (azure.credential = githubOidc): the runner's OIDC
// token, asked for with the audience Entra expects, is the client assertion; no secret is stored.
// Both the Actions token service and the Entra authority are loopback fakes over HTTPS.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createCredential, graphScope, GITHUB_OIDC_AUDIENCE } from '../core/azure.js';
import { startFakeAzure, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { testConfig } from './helpers.js';

const REQUEST_TOKEN = 'actions-runtime-request-token-5b1c';
let fake: FakeAzure;
let actions: Server;
let actionsUrl: string;
const asked: { audience: string | null; auth: string | undefined }[] = [];

beforeAll(async () => {
  fake = await startFakeAzure();
  actions = createServer(
    { cert: readFileSync(process.env.PIMOPS_TEST_CERT!), key: readFileSync(process.env.PIMOPS_TEST_KEY!) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const audience = url.searchParams.get('audience');
      asked.push({ audience, auth: req.headers.authorization });
      const ok =
        req.headers.authorization === `Bearer ${REQUEST_TOKEN}` && url.searchParams.get('api-version') === '2.0';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      // GitHub signs a token for whatever audience is asked; Entra accepts only its own.
      res.end(
        JSON.stringify(
          ok ? { value: audience === GITHUB_OIDC_AUDIENCE ? fake.clientAssertion : 'token-for-another-audience' } : {},
        ),
      );
    },
  );
  await new Promise<void>((r) => actions.listen(0, '127.0.0.1', r));
  actionsUrl = `https://127.0.0.1:${(actions.address() as AddressInfo).port}/_apis/distributedtask/token?api-version=2.0`;
});
afterAll(async () => {
  actions.close();
  await fake.close();
});

const env = (over: Record<string, string> = {}) => ({
  AZURE_TENANT_ID: fake.tenantId,
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  ACTIONS_ID_TOKEN_REQUEST_URL: actionsUrl,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
  ...over,
});

describe('azure.credential githubOidc', () => {
  it('exchanges the runner’s OIDC token (audience api://AzureADTokenExchange) for an access token', async () => {
    const config = testConfig({ azure: { ...fakeAzureConfig(fake), credential: 'githubOidc' } });
    const token = await createCredential(config, env()).getToken(graphScope(config));
    expect(token?.token).toMatch(/^fake-token-/);
    expect(asked.at(-1)).toEqual({ audience: 'api://AzureADTokenExchange', auth: `Bearer ${REQUEST_TOKEN}` });
  });

  it('fails clearly without the Actions variables (no id-token: write) or with a refused request', async () => {
    const config = testConfig({ azure: { ...fakeAzureConfig(fake), credential: 'githubOidc' } });
    expect(() => createCredential(config, env({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' }))).toThrow(
      /ACTIONS_ID_TOKEN_REQUEST_TOKEN/,
    );
    await expect(
      createCredential(config, env({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' })).getToken(graphScope(config)),
    ).rejects.toThrow();
  });
});
