// Secrets never reach logs, error text, reports or exports. Credentials register what they hold
// (the client secret, every token they obtain); every message pimops prints passes through here.
const registered = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) registered.add(value);
}

const PATTERNS: [RegExp, string][] = [
  [/Bearer\s+[A-Za-z0-9\-._~+/]+=*/g, 'Bearer [redacted]'],
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted-jwt]'],
  [
    /((?:client_secret|access_token|refresh_token|password|secret|sig)["']?\s*[=:]\s*["']?)[^"'&\s,}]+/gi,
    '$1[redacted]',
  ],
];

/** The registered values, longest first: for outputs written by an engine (DuckDB's COPY) rather than by pimops' text. */
export function registeredSecrets(): string[] {
  return [...registered].sort((a, b) => b.length - a.length);
}

/** Every string inside a JSON-like value, redacted: for payloads sent as objects (Sentinel rows). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactRegistered(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v) as unknown) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}

/** Registered values only: for data output, where patterns could alter legitimate text. */
export function redactRegistered(text: string): string {
  let out = text;
  for (const s of [...registered].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}

/** Registered values, bearer tokens, JWTs and secret-named fields: for messages and logs. */
export function redact(text: string): string {
  let out = redactRegistered(text);
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}
