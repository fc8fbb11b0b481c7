// The config's error messages, written for the person editing the file: a secret names the environment
// variable to use instead, an unknown key names its path and the nearest key the schema knows.
import type { core } from 'zod';

/** Secrets live in the environment the credential already reads, never in a file people copy around. */
const SECRET_KEYS: Record<string, string> = {
  clientsecret: 'AZURE_CLIENT_SECRET',
  secret: 'AZURE_CLIENT_SECRET',
  password: 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  clientcertificatepassword: 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  certificatepassword: 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  webhookurl: 'PIMOPS_WEBHOOK_URL',
  webhook: 'PIMOPS_WEBHOOK_URL',
  pseudonymkey: 'PIMOPS_PSEUDONYM_KEY',
  signingkey: 'PIMOPS_EVIDENCE_KEY_FILE (a path to the key file; or evidence.signingKeyFile)',
  accesstoken: 'a credential (azure.credential), never a token',
  token: 'a credential (azure.credential), never a token',
};

export function secretKeys(raw: unknown, path: string[] = []): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  return Object.entries(raw).flatMap(([k, v]) => {
    const env = SECRET_KEYS[k.toLowerCase().replace(/[^a-z]/g, '')];
    const here = [...path, k].join('.');
    return env
      ? [`  ${here}: secrets are not read from the config file; set ${env} in the environment instead`]
      : secretKeys(v, [...path, k]);
  });
}

type Def = { type: string; shape?: Record<string, { _zod: { def: Def } }>; innerType?: { _zod: { def: Def } } };

/** The keys a schema knows at a path (through defaults and optionals), for "did you mean". */
export function knownKeysOf(schema: unknown, path: readonly PropertyKey[]): string[] {
  let def = (schema as { _zod: { def: Def } })._zod.def;
  const unwrap = () => {
    while (def.innerType) def = def.innerType._zod.def;
  };
  unwrap();
  for (const p of path) {
    const next = def.shape?.[String(p)];
    if (!next) return [];
    def = next._zod.def;
    unwrap();
  }
  return Object.keys(def.shape ?? {});
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

function nearest(key: string, known: string[]): string | undefined {
  const best = known.map((k) => ({ k, d: distance(key, k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

/** One schema issue as lines of the error message. */
export function describeIssue(i: core.$ZodIssue, known: string[]): string[] {
  if (i.code !== 'unrecognized_keys') return [`  ${i.path.join('.') || '(root)'}: ${i.message}`];
  return i.keys.map((k) => {
    const near = nearest(k, known);
    const at = [...i.path, k].join('.');
    return `  ${at}: unknown key${near ? ` (did you mean ${[...i.path, near].join('.')}?)` : ''}; known here: ${known.join(', ')}`;
  });
}
