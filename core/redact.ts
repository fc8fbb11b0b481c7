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
