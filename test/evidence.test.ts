// The evidence pack as an auditor receives it: made by the real binary from the demo store (a whole
// third quarter), verified, made twice to compare bytes, tampered with, signed, and cut short for a
// quarter still running.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { tempDir } from './helpers.js';
import { FRAMEWORK_IDS, mappedTo } from '../queries/controls.js';
import { ruleIds } from '../reports/checks.js';
import { zipFiles } from '../reports/evidence/zip.js';

const bin = resolve('bin/pimops.js');
const tmp = tempDir('pimops-evidence-');
afterAll(() => tmp.cleanup());
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function pimops(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: tmp.dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const config = ['--config', 'pimops-demo.config.json'];
const unzip = (path: string) => new Map(Object.entries(unzipSync(readFileSync(path))));

/** Each entry's name and DOS date and time, read from the local file headers in order. */
function entryTimes(zip: Buffer): string[] {
  const out: string[] = [];
  for (let off = 0; zip.readUInt32LE(off) === 0x04034b50;) {
    const [time, date, size, nameLen, extraLen] = [
      zip.readUInt16LE(off + 10),
      zip.readUInt16LE(off + 12),
      zip.readUInt32LE(off + 18),
      zip.readUInt16LE(off + 26),
      zip.readUInt16LE(off + 28),
    ];
    const name = zip.toString('utf8', off + 30, off + 30 + nameLen);
    const pad = (n: number) => String(n).padStart(2, '0');
    out.push(
      `${name} ${1980 + (date >> 9)}-${pad((date >> 5) & 15)}-${pad(date & 31)} ${pad(time >> 11)}:${pad((time >> 5) & 63)}`,
    );
    off += 30 + nameLen + extraLen + size;
  }
  return out;
}

describe('pimops evidence on the demo (2026Q3)', () => {
  let first: ReturnType<typeof pimops>;
  beforeAll(() => {
    const demo = pimops(['demo', '--through', '2026-09', '--admins', '8']);
    expect(demo.code, demo.stderr).toBe(0);
    first = pimops(['evidence', '--quarter', '2026Q3', '--out', 'a.zip', ...config]);
  }, 300_000);

  it('writes a pack whose manifest verifies, and prints the manifest hash to keep', () => {
    expect(first.code, first.stderr).toBe(0);
    const files = unzip(join(tmp.dir, 'a.zip'));
    const manifestHash = sha(files.get('manifest.json')!);
    expect(first.stdout).toContain(`manifest sha256: ${manifestHash}`);
    const manifest = JSON.parse(Buffer.from(files.get('manifest.json')!).toString('utf8'));
    expect(manifest.scope).toBe('quarter');
    expect(manifest.period).toMatchObject({ from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' });
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(
      [...files.keys()].filter((n) => n !== 'manifest.json').sort(),
    );
    for (const f of manifest.files) expect(sha(files.get(f.path)!), f.path).toBe(f.sha256);
    // The exact queries run: every check, the metrics, and the evidence queries, each with its SQL hash.
    const ids = manifest.queries.map((q: { id: string }) => q.id);
    for (const id of [
      ...ruleIds().map((r) => `check_${r}`),
      'time_to_activate',
      'evidence_access_at',
      'evidence_activations',
      'data_coverage',
    ])
      expect(ids).toContain(id);
    expect(ids.filter((i: string) => i.startsWith('unnamed'))).toEqual([]);
    const v = pimops(['evidence', 'verify', 'a.zip']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain(`manifest sha256: ${manifestHash}`);
  });

  it('holds the quarter: activations with justification and approver, access at both ends, findings with exceptions', () => {
    const files = unzip(join(tmp.dir, 'a.zip'));
    const text = (n: string) => Buffer.from(files.get(n)!).toString('utf8');
    expect(text('activations.csv').split('\n')[0]).toContain(
      'justification,ticket_system,ticket_number,mfa,approval_required,decision,decided_at,approver_id,approver_upn',
    );
    expect(text('activations.csv').split('\n').length).toBeGreaterThan(100);
    expect(text('access-start.csv')).toContain(',audit_replay,');
    expect(text('access-end.csv')).toContain(',snapshot,2026-10-01T00:00:00.000Z');
    expect(text('findings.csv').split('\n')[0]).toContain(
      'excepted,exception_reason,exception_owner,exception_expires,controls',
    );
    expect(text('coverage-daily.csv').trim().split('\n')).toHaveLength(93);
    expect(text('README.md')).toContain('The whole quarter 2026Q3.');
    expect(text('report.html')).not.toMatch(/Generated \d{4}-/);
  });

  it('has a control index per framework that names every rule mapped to it', () => {
    const files = unzip(join(tmp.dir, 'a.zip'));
    const rules = new Set(ruleIds());
    for (const fw of FRAMEWORK_IDS) {
      const index = Buffer.from(files.get(`controls/${fw}.md`)!).toString('utf8');
      const mapped = mappedTo(fw).filter((m) => rules.has(m.id));
      expect(mapped.length, fw).toBeGreaterThan(0);
      for (const m of mapped) {
        for (const c of m.controls) {
          const row = index
            .split('\n')
            .find((l) => l.startsWith(`| ${c} | `) && l.includes(`| ${m.id} | rule | findings.csv |`));
          expect(row, `${fw}: ${c} evidenced by ${m.id}`).toBeDefined();
        }
      }
    }
  });

  it('gives the same bytes twice, apart from the generation time in the manifest', () => {
    const second = pimops(['evidence', '--quarter', '2026Q3', '--out', 'b.zip', ...config]);
    expect(second.code, second.stderr).toBe(0);
    const a = unzip(join(tmp.dir, 'a.zip'));
    const b = unzip(join(tmp.dir, 'b.zip'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect([...a.keys()]).toEqual([...a.keys()].sort());
    for (const [name, bytes] of a)
      if (name !== 'manifest.json') expect(Buffer.compare(Buffer.from(bytes), Buffer.from(b.get(name)!)), name).toBe(0);
    const m = (x: Map<string, Uint8Array>) => ({
      ...JSON.parse(Buffer.from(x.get('manifest.json')!).toString('utf8')),
      generatedAt: null,
    });
    expect(m(b)).toEqual(m(a));
    // The ZIP itself: a's entries with b's manifest, zipped again now, are b's bytes (fixed entry times and order).
    const again = zipFiles(
      new Map([...a].map(([n, bytes]) => [n, Buffer.from(n === 'manifest.json' ? b.get(n)! : bytes)])),
    );
    expect(Buffer.compare(Buffer.from(again), readFileSync(join(tmp.dir, 'b.zip')))).toBe(0);
    expect(entryTimes(readFileSync(join(tmp.dir, 'b.zip')))).toEqual([...a.keys()].map((n) => `${n} 1980-01-01 00:00`));
  }, 120_000);

  it('fails verification when one file is changed, in a folder or in a ZIP', () => {
    const made = pimops(['evidence', '--quarter', '2026Q3', '--out', 'dir', ...config]);
    expect(made.code, made.stderr).toBe(0);
    expect(pimops(['evidence', 'verify', 'dir']).code).toBe(0);
    const f = join(tmp.dir, 'dir', 'activations.csv');
    writeFileSync(f, readFileSync(f, 'utf8').replace('approved', 'approvee'));
    const v = pimops(['evidence', 'verify', 'dir']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('activations.csv: changed');

    const entries = Object.fromEntries(unzip(join(tmp.dir, 'a.zip')));
    entries['findings.csv'] = new Uint8Array([...entries['findings.csv'], 0x0a]);
    writeFileSync(join(tmp.dir, 'tampered.zip'), zipSync(entries));
    const z = pimops(['evidence', 'verify', 'tampered.zip']);
    expect(z.code).toBe(1);
    expect(z.stderr).toContain('findings.csv: changed');

    // A forged manifest's text reaches the auditor's terminal shown, never obeyed.
    const manifest = JSON.parse(Buffer.from(entries['manifest.json']).toString('utf8'));
    manifest.quarter = '2026Q3\u001b]52;c;cHduZWQ=\u0007\u001b[2J';
    entries['manifest.json'] = new Uint8Array(Buffer.from(JSON.stringify(manifest)));
    writeFileSync(join(tmp.dir, 'forged.zip'), zipSync(entries));
    const forged = pimops(['evidence', 'verify', 'forged.zip']);
    expect(forged.code).toBe(1);
    expect(forged.stdout + forged.stderr).not.toContain('\u001b');
    expect(forged.stdout).toContain('\\x1b]52');
  }, 120_000);

  it('signs the manifest with a configured Ed25519 key, and verification checks it against a key the auditor holds', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(tmp.dir, 'sign.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(tmp.dir, 'trusted.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      join(tmp.dir, 'other.pem'),
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const made = pimops(['evidence', '--quarter', '2026Q3', '--out', 'signed.zip', ...config], {
      PIMOPS_EVIDENCE_KEY_FILE: 'sign.pem',
    });
    expect(made.code, made.stderr).toBe(0);
    const good = pimops(['evidence', 'verify', 'signed.zip', '--public-key', 'trusted.pem']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('signature: valid');
    const bad = pimops(['evidence', 'verify', 'signed.zip', '--public-key', 'other.pem']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('manifest.sig.json: the signature does not match');
    expect(pimops(['evidence', 'verify', 'a.zip', '--public-key', 'trusted.pem']).code).toBe(1);
    // The same key named in the config (a path: the key itself is never in the file) signs too.
    const demoConfig = JSON.parse(readFileSync(join(tmp.dir, 'pimops-demo.config.json'), 'utf8'));
    writeFileSync(
      join(tmp.dir, 'signing.config.json'),
      JSON.stringify({ ...demoConfig, evidence: { signingKeyFile: 'sign.pem' } }),
    );
    const viaConfig = pimops([
      'evidence',
      '--quarter',
      '2026Q3',
      '--out',
      'signed2.zip',
      '--config',
      'signing.config.json',
    ]);
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    expect(pimops(['evidence', 'verify', 'signed2.zip', '--public-key', 'trusted.pem']).code).toBe(0);
    // A key that is not Ed25519 is a config error before anything is read.
    writeFileSync(
      join(tmp.dir, 'rsa.pem'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const rsa = pimops(['evidence', '--quarter', '2026Q3', '--out', 'rsa.zip', ...config], {
      PIMOPS_EVIDENCE_KEY_FILE: 'rsa.pem',
    });
    expect(rsa.code).toBe(2);
    expect(rsa.stderr).toContain('must be an Ed25519 private key');
  }, 120_000);

  it('labels a quarter still running as quarter to date', () => {
    const r = pimops(['evidence', '--quarter', '2026Q4', '--as-of', '2026-10-15', '--out', 'qtd', ...config]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(tmp.dir, 'qtd', 'manifest.json'), 'utf8'));
    expect(manifest.scope).toBe('quarter-to-date');
    expect(manifest.period.dataThrough).toBe('2026-10-15T00:00:00.000Z');
    expect(readFileSync(join(tmp.dir, 'qtd', 'README.md'), 'utf8')).toContain('**Quarter to date**');
    expect(
      readFileSync(join(tmp.dir, 'qtd', 'coverage-daily.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(15);
  }, 120_000);

  it('refuses a malformed quarter and an unknown framework (exit 2), and checks --framework keeps its rules', () => {
    expect(pimops(['evidence', '--quarter', '2026-Q3', '--out', 'x', ...config]).code).toBe(2);
    expect(pimops(['checks', '--framework', 'pci', '--list']).code).toBe(2);
    const list = pimops(['checks', '--framework', 'cisa-scuba', '--list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rules = JSON.parse(list.stdout)
      .map((r: { rule: string }) => r.rule)
      .sort();
    expect(rules).toEqual(
      mappedTo('cisa-scuba')
        .map((m) => m.id)
        .filter((id) => ruleIds().includes(id))
        .sort(),
    );
    const run = pimops(['checks', '--framework', 'cisa-scuba', '--period', '2026-09', '--json', ...config]);
    expect(run.code, run.stderr).toBe(0);
    expect(new Set(JSON.parse(run.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).size).toBeGreaterThan(0);
    for (const f of JSON.parse(run.stdout).findings) expect(rules).toContain(f.ruleId);
  }, 120_000);
});
