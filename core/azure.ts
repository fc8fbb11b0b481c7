// Azure credentials and endpoints: the one place that builds them. Every host comes from the
// config (national clouds, private authorities, test fakes); secrets only from the environment.
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  ClientCertificateCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
  type AccessToken,
  type GetTokenOptions,
} from '@azure/identity';
import type { Config } from './config.js';
import { PimopsError } from './errors.js';
import { cloudEndpoints, scopeOf } from './cloud.js';
import { registerSecret } from './redact.js';

const MICROSOFT_AUTHORITIES = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
];

function need(env: NodeJS.ProcessEnv, names: string[], credential: string): Record<string, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length) {
    throw new PimopsError(
      'credential-missing',
      `azure.credential is '${credential}' but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set in the environment.`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, env[n]!]));
}

/**
 * Wraps a credential so a 401 can ask for a genuinely new token: the next getToken after
 * `invalidate()` carries a claims challenge, which makes MSAL skip its cache.
 */
export class RefreshableCredential implements TokenCredential {
  private stale = false;
  constructor(private readonly inner: TokenCredential) {}
  invalidate(): void {
    this.stale = true;
  }
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    if (!this.stale) return this.keep(await this.inner.getToken(scopes, options));
    this.stale = false;
    // The claims challenge as JSON text (MSAL skips its cache for a request that carries one).
    const claims = JSON.stringify({
      access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
    });
    return this.keep(await this.inner.getToken(scopes, { ...options, claims }));
  }

  private keep(token: AccessToken | null): AccessToken | null {
    registerSecret(token?.token);
    return token;
  }
}

/** The audience Microsoft Entra expects of a federated token (Microsoft Learn: workload identity federation). */
export const GITHUB_OIDC_AUDIENCE = 'api://AzureADTokenExchange';

/** Asks the Actions runtime for an OIDC token (docs.github.com: "Configuring OpenID Connect in cloud providers"). */
async function githubOidcToken(requestUrl: string, requestToken: string): Promise<string> {
  const url = new URL(requestUrl);
  url.searchParams.set('audience', GITHUB_OIDC_AUDIENCE);
  const res = await fetch(url, { headers: { Authorization: `Bearer ${requestToken}`, Accept: 'application/json' } });
  if (!res.ok) {
    throw new PimopsError(
      'azure-auth',
      `The GitHub OIDC token request failed with ${res.status}: is 'id-token: write' granted to the job?`,
    );
  }
  const body = (await res.json()) as { value?: unknown };
  if (typeof body.value !== 'string')
    throw new PimopsError('azure-auth', 'The GitHub OIDC token response has no token');
  registerSecret(body.value);
  return body.value;
}

export function createCredential(config: Config, env: NodeJS.ProcessEnv = process.env): RefreshableCredential {
  const a = config.azure;
  registerSecret(env.AZURE_CLIENT_SECRET);
  registerSecret(env.PIMOPS_WEBHOOK_URL);
  const { authorityHost } = cloudEndpoints(config);
  const host = new URL(authorityHost).host;
  // Instance discovery asks Microsoft's public endpoint about the authority: skip it for any other host.
  const common = { authorityHost, disableInstanceDiscovery: !MICROSOFT_AUTHORITIES.includes(host) };
  switch (a.credential) {
    case 'clientSecret': {
      const v = need(env, ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'], a.credential);
      return new RefreshableCredential(
        new ClientSecretCredential(v.AZURE_TENANT_ID, v.AZURE_CLIENT_ID, v.AZURE_CLIENT_SECRET, common),
      );
    }
    case 'clientCertificate': {
      const v = need(env, ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_CERTIFICATE_PATH'], a.credential);
      return new RefreshableCredential(
        new ClientCertificateCredential(
          v.AZURE_TENANT_ID,
          v.AZURE_CLIENT_ID,
          { certificatePath: v.AZURE_CLIENT_CERTIFICATE_PATH },
          common,
        ),
      );
    }
    case 'managedIdentity':
      return new RefreshableCredential(
        env.AZURE_CLIENT_ID
          ? new ManagedIdentityCredential({ clientId: env.AZURE_CLIENT_ID })
          : new ManagedIdentityCredential(),
      );
    case 'workloadIdentity':
      // From the environment given (a tenant's, for a pull of several), not the process's: the SDK
      // would read AZURE_TENANT_ID itself and sign every tenant in to the same one.
      return new RefreshableCredential(
        new WorkloadIdentityCredential({
          ...common,
          tenantId: env.AZURE_TENANT_ID,
          clientId: env.AZURE_CLIENT_ID,
          tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE,
        }),
      );
    case 'githubOidc': {
      // Workload identity federation from a GitHub Actions run: no secret is stored anywhere; the
      // runner's OIDC token (audience api://AzureADTokenExchange) is the client assertion.
      const v = need(
        env,
        ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'],
        a.credential,
      );
      registerSecret(v.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
      const assertion = () => githubOidcToken(v.ACTIONS_ID_TOKEN_REQUEST_URL, v.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
      return new RefreshableCredential(
        new ClientAssertionCredential(v.AZURE_TENANT_ID, v.AZURE_CLIENT_ID, assertion, common),
      );
    }
  }
}

/**
 * The tenant a pull reads: the one the credential signs in to (AZURE_TENANT_ID). Undefined for a
 * managed identity without it; records then keep only the tenant they name themselves (tid).
 */
export function pullTenant(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AZURE_TENANT_ID?.trim().toLowerCase() || undefined;
}

/** The credential variables a tenant may have its own of: `<NAME>__<TENANT>` beside the shared `<NAME>`. */
export const PER_TENANT_VARIABLES = [
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
] as const;

/** A configured tenant's name as an environment-variable suffix: upper case, `-` as `_` (contoso-prod → CONTOSO_PROD). */
export function tenantEnvSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * The environment one tenant's pull signs in with. The token is always asked of that tenant
 * (AZURE_TENANT_ID is its id); the app and its secret or certificate are the tenant's own
 * (`AZURE_CLIENT_SECRET__CONTOSO_PROD`) when set, else the shared ones: one multi-tenant app
 * registration consented in every tenant, with a token per tenant.
 */
export function tenantEnv(env: NodeJS.ProcessEnv, tenant: { id: string; name?: string }): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, AZURE_TENANT_ID: tenant.id };
  if (!tenant.name) return out;
  const suffix = tenantEnvSuffix(tenant.name);
  for (const v of PER_TENANT_VARIABLES) {
    const own = env[`${v}__${suffix}`];
    if (own) out[v] = own;
  }
  registerSecret(out.AZURE_CLIENT_SECRET);
  return out;
}

/** What the sign-in errors a tenant gives most often mean, and what fixes them. */
const SIGN_IN_ERRORS: Record<string, string> = {
  '700016':
    'the app is not in this tenant: it was never consented here. An administrator of the tenant grants admin consent to the app (docs/azure-setup.md, "Several tenants")',
  '7000215':
    'the client secret is wrong or expired (AZURE_CLIENT_SECRET, or AZURE_CLIENT_SECRET__<TENANT> for this tenant)',
  '7000222': 'the client secret has expired: create a new one and set it',
  '90002': 'no such tenant: check the tenant id in the configuration',
  '700027': 'the client certificate or federated assertion is not valid for this app',
  '50034': 'the account does not exist in this tenant',
};

/**
 * A sign-in refused by Microsoft Entra (an AADSTS code in the error, however the SDK client wrapped
 * it) as an `azure-auth` error saying what it means; undefined for any other error.
 */
export function signInError(err: unknown, tenantId?: string): PimopsError | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const code = /AADSTS(\d+)/.exec(message)?.[1];
  if (!code) return undefined;
  const meaning = SIGN_IN_ERRORS[code] ?? 'Microsoft Entra refused the sign-in';
  return new PimopsError(
    'azure-auth',
    `Sign-in${tenantId ? ` to tenant ${tenantId}` : ''} refused (AADSTS${code}): ${meaning}.`,
    { cause: err },
  );
}

/** Token scopes follow azure.cloud (core/cloud.ts), so a national cloud needs no other setting. */
export function graphScope(config: Config): string {
  return scopeOf(cloudEndpoints(config).graphAudience);
}

export function logAnalyticsScope(config: Config): string {
  return scopeOf(cloudEndpoints(config).logAnalyticsAudience);
}

export function armScope(config: Config): string {
  return scopeOf(cloudEndpoints(config).armAudience);
}
