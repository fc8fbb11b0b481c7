// The Graph client pimops uses: the official v3 client, with a middleware in front of its
// authentication handler that paces requests, retries what Graph's own RetryHandler does not
// (connection resets, timeouts), honours Retry-After, and gets a fresh token once on a 401.
import {
  Client,
  AuthenticationHandler,
  HTTPMessageHandler,
  type Middleware,
  type Context,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { Config } from '../../core/config.js';
import { graphScope, type RefreshableCredential } from '../../core/azure.js';
import { cloudEndpoints } from '../../core/cloud.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Time as the limiter sees it: real by default; a test drives a virtual one instead of waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
export const realClock: Clock = { now: () => Date.now(), sleep };

/**
 * At most `limit` requests in any `windowMs`: a request holds its slot from its start until one
 * window after it completes, so arrivals at the server can never bunch up past the limit.
 */
export class RateLimiter {
  private active = 0;
  private finished: number[] = [];
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock = realClock,
  ) {}
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.finished = this.finished.filter((t) => t + this.windowMs > now);
      if (this.active + this.finished.length < this.limit) {
        this.active++;
        return;
      }
      const wait = this.finished.length ? this.finished[0] + this.windowMs - now : 5;
      await this.clock.sleep(Math.max(1, wait));
    }
  }
  release(): void {
    this.active--;
    this.finished.push(this.clock.now());
    this.finished.sort((a, b) => a - b);
  }
}

/** Graph throttles a request that reads users' signInActivity on its own bucket (10 a minute), not the directory's. */
export function readsSignInActivity(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url, 'https://graph.invalid');
  } catch {
    return false;
  }
  if (!/\/users(\/|$)/i.test(u.pathname)) return false;
  const q = `${u.searchParams.get('$select') ?? ''} ${u.searchParams.get('$filter') ?? ''}`;
  return /signInActivity/i.test(q);
}

export interface ClientEvents {
  onRetry?: (reason: string, attempt: number, waitMs: number) => void;
}

function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string }; message?: string };
  const code = e?.cause?.code ?? e?.code;
  return (
    e?.name === 'AbortError' ||
    e?.name === 'TimeoutError' ||
    (e?.name === 'TypeError' && /fetch failed|terminated/i.test(e.message ?? '')) ||
    [
      'ECONNRESET',
      'ETIMEDOUT',
      'ECONNREFUSED',
      'EPIPE',
      'UND_ERR_SOCKET',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
    ].includes(code ?? '')
  );
}

function retryAfterMs(res: Response | undefined): number | undefined {
  const h = res?.headers.get('retry-after');
  if (!h) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function dropAuthorization(context: Context): void {
  const headers = context.options?.headers;
  if (!headers) return;
  if (headers instanceof Headers) headers.delete('Authorization');
  else if (Array.isArray(headers))
    context.options!.headers = headers.filter(([k]) => k.toLowerCase() !== 'authorization');
  else for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
}

export class ResilienceHandler implements Middleware {
  private next!: Middleware;
  constructor(
    private readonly config: Config,
    private readonly limiter: RateLimiter,
    private readonly credential: RefreshableCredential,
    private readonly events: ClientEvents = {},
    // Requests that Graph counts on a bucket of their own get that bucket's limiter.
    private readonly limiterFor: (url: string) => RateLimiter | undefined = () => undefined,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const max = this.config.azure.maxRetries;
    let refreshed = false;
    const limiter =
      this.limiterFor(typeof context.request === 'string' ? context.request : context.request.url) ?? this.limiter;
    for (let attempt = 0; ; attempt++) {
      await limiter.acquire();
      // The auth handler appends its header: drop the previous attempt's, or a retry carries two tokens.
      dropAuthorization(context);
      const timeout = AbortSignal.timeout(this.config.azure.requestTimeoutSeconds * 1000);
      context.options = { ...context.options, signal: timeout };
      // A flag, not `failure !== undefined`: whatever was thrown (even undefined) is a failure, rethrown as it came.
      let failed = false;
      let failure: unknown;
      try {
        await this.next.execute(context);
      } catch (err) {
        failed = true;
        failure = err;
      } finally {
        limiter.release();
      }
      const backoff = Math.min(60_000, 500 * 2 ** attempt) + Math.floor(Math.random() * 250);
      if (failed) {
        if (attempt < max && isNetworkError(failure)) {
          this.events.onRetry?.(`network: ${(failure as Error).message}`, attempt + 1, backoff);
          await sleep(backoff);
          continue;
        }
        throw failure;
      }
      const status = context.response?.status ?? 0;
      if (status === 401 && !refreshed) {
        refreshed = true;
        this.credential.invalidate();
        this.events.onRetry?.('401: getting a fresh token', attempt + 1, 0);
        continue;
      }
      if ((status === 429 || status === 503 || status === 504) && attempt < max) {
        const wait = retryAfterMs(context.response) ?? backoff;
        this.events.onRetry?.(`${status}`, attempt + 1, wait);
        await sleep(wait);
        continue;
      }
      return;
    }
  }
}

export function createGraphClient(
  config: Config,
  credential: RefreshableCredential,
  events?: ClientEvents,
  budget: 'reports' | 'directory' = 'reports',
  clock: Clock = realClock,
): Client {
  const endpoint = new URL(cloudEndpoints(config).graphEndpoint);
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [graphScope(config)] });
  const limiter =
    budget === 'reports'
      ? new RateLimiter(config.azure.requestsPerWindow, config.azure.windowSeconds * 1000, clock)
      : new RateLimiter(Math.max(1, Math.round(config.azure.directoryRequestsPerSecond)), 1000, clock);
  const signInActivity = new RateLimiter(
    config.azure.signInActivityRequestsPerWindow,
    config.azure.signInActivityWindowSeconds * 1000,
    clock,
  );
  return Client.initWithMiddleware({
    baseUrl: `${endpoint.origin}/`,
    // The auth handler attaches the token only for Graph hosts it knows: tell it ours.
    customHosts: new Set([endpoint.hostname]),
    middleware: [
      new ResilienceHandler(config, limiter, credential, events, (url) =>
        readsSignInActivity(url) ? signInActivity : undefined,
      ),
      new AuthenticationHandler(authProvider),
      new HTTPMessageHandler(),
    ],
  });
}
