// Writing and checking a pack. A folder gets one file per entry, a path ending in .zip one ZIP;
// both go through core/output (atomic, 0600). When a signing key is configured, manifest.sig.json
// holds an Ed25519 signature of manifest.json's bytes and the public key to check it with.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { PimopsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/output.js';
import { MANIFEST, SIGNATURE, sha256, type Manifest, type Pack } from './pack.js';
import { unzipFiles, zipFiles } from './zip.js';

export const SIGNING_KEY_ENV = 'PIMOPS_EVIDENCE_KEY_FILE';

/** The Ed25519 private key the environment or the config points at (never the key itself in config). */
export function signingKey(configured: string | undefined): KeyObject | undefined {
  const path = process.env[SIGNING_KEY_ENV] || configured;
  if (!path) return undefined;
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (err) {
    throw new PimopsError(
      'config-invalid',
      `Cannot read the evidence signing key ${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PimopsError(
      'config-invalid',
      `The evidence signing key ${path} is ${key.asymmetricKeyType ?? 'not an asymmetric key'}; it must be an Ed25519 private key (PEM)`,
    );
  }
  return key;
}

/** The SHA-256 of the public key in DER: what an auditor compares with the fingerprint they were given. */
export function keyFingerprint(key: KeyObject): string {
  return sha256(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

export function writePack(
  pack: Pack,
  out: string,
  key?: KeyObject,
): { path: string; manifestSha256: string; signedBy?: string } {
  const files = new Map(pack.files);
  const manifestBytes = files.get(MANIFEST)!;
  let signedBy: string | undefined;
  if (key) {
    const publicKey = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    const signature = sign(null, manifestBytes, key).toString('base64');
    signedBy = keyFingerprint(key);
    files.set(
      SIGNATURE,
      Buffer.from(
        JSON.stringify(
          { algorithm: 'Ed25519', signs: MANIFEST, publicKey, publicKeySha256: signedBy, signature },
          null,
          2,
        ) + '\n',
      ),
    );
  }
  const target = resolve(out);
  if (target.toLowerCase().endsWith('.zip')) {
    writeFileAtomic(target, zipFiles(files));
  } else {
    if (existsSync(target) && (!lstatSync(target).isDirectory() || readdirSync(target).length)) {
      throw new PimopsError(
        'usage',
        `--out ${out} exists and is not an empty folder: give a new folder, or a path ending in .zip`,
      );
    }
    // Bytes, not text: they were redacted before hashing, and are written exactly as hashed.
    for (const [name, data] of files) writeFileAtomic(join(target, ...name.split('/')), data);
  }
  return { path: target, manifestSha256: sha256(manifestBytes), signedBy };
}

function readFolder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(relative(dir, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return files;
}

export interface Verification {
  ok: boolean;
  manifestSha256: string | null;
  manifest: Manifest | null;
  files: number;
  problems: string[];
  signature: 'absent' | 'valid' | 'invalid';
  signedBy?: string;
}

/** Recomputes every hash against the manifest; extra, missing or changed files are problems. */
export function verifyPack(path: string, trustedKeyPem?: string): Verification {
  if (!existsSync(path)) throw new PimopsError('input-not-found', `No evidence pack at ${path}`);
  const files = lstatSync(path).isDirectory() ? readFolder(path) : unzipFiles(readFileSync(path), path);
  const problems: string[] = [];
  const raw = files.get(MANIFEST);
  if (!raw)
    return {
      ok: false,
      manifestSha256: null,
      manifest: null,
      files: 0,
      problems: [`no ${MANIFEST}: not an evidence pack`],
      signature: 'absent',
    };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(raw.toString('utf8')) as Manifest;
    if (!Array.isArray(manifest.files)) throw new Error('it lists no files');
  } catch (err) {
    return {
      ok: false,
      manifestSha256: sha256(raw),
      manifest: null,
      files: 0,
      problems: [`${MANIFEST} is unreadable: ${err instanceof Error ? err.message : String(err)}`],
      signature: 'absent',
    };
  }
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const data = files.get(f.path);
    if (!data) problems.push(`${f.path}: missing`);
    else if (data.length !== f.bytes || sha256(data) !== f.sha256)
      problems.push(`${f.path}: changed (SHA-256 ${sha256(data)}, the manifest says ${f.sha256})`);
  }
  for (const name of files.keys())
    if (name !== MANIFEST && name !== SIGNATURE && !listed.has(name)) problems.push(`${name}: not in the manifest`);

  let signature: Verification['signature'] = 'absent';
  let signedBy: string | undefined;
  const sig = files.get(SIGNATURE);
  if (sig) {
    try {
      const s = JSON.parse(sig.toString('utf8')) as { publicKey: string; signature: string };
      const key = createPublicKey(trustedKeyPem ?? s.publicKey);
      signedBy = sha256(key.export({ type: 'spki', format: 'der' }));
      signature = verify(null, raw, key, Buffer.from(s.signature, 'base64')) ? 'valid' : 'invalid';
    } catch {
      signature = 'invalid';
    }
    if (signature === 'invalid')
      problems.push(
        `${SIGNATURE}: the signature does not match ${MANIFEST}${trustedKeyPem ? ' under the key given' : ''}`,
      );
  } else if (trustedKeyPem) {
    problems.push(`no ${SIGNATURE}: the pack is not signed, but a public key was given to check it with`);
  }
  return {
    ok: problems.length === 0,
    manifestSha256: sha256(raw),
    manifest,
    files: manifest.files.length,
    problems,
    signature,
    signedBy,
  };
}
