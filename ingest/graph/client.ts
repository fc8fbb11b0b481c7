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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  ) {}
  async acquire(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.finished = this.finished.filter((t) => t + this.windowMs > now);
      if (this.active + this.finished.length < this.limit) {
        this.active++;
        return;
      }
      const wait = this.finished.length ? this.finished[0] + this.windowMs - now : 5;
      await sleep(Math.max(1, wait));
    }
  }
  release(): void {
    this.active--;
    this.finished.push(Date.now());
    this.finished.sort((a, b) => a - b);
  }
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
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const max = this.config.azure.maxRetries;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      await this.limiter.acquire();
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
        this.limiter.release();
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
): Client {
  const endpoint = new URL(config.azure.graphEndpoint);
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [graphScope(config)] });
  const limiter =
    budget === 'reports'
      ? new RateLimiter(config.azure.requestsPerWindow, config.azure.windowSeconds * 1000)
      : new RateLimiter(Math.max(1, Math.round(config.azure.directoryRequestsPerSecond)), 1000);
  return Client.initWithMiddleware({
    baseUrl: `${endpoint.origin}/`,
    // The auth handler attaches the token only for Graph hosts it knows: tell it ours.
    customHosts: new Set([endpoint.hostname]),
    middleware: [
      new ResilienceHandler(config, limiter, credential, events),
      new AuthenticationHandler(authProvider),
      new HTTPMessageHandler(),
    ],
  });
}
