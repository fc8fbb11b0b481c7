// `pimops demo` deletes its folder, overwrites its config file and imports into a store. Each is
// refused (exit 2, nothing touched) unless absent, made by an earlier demo, or --force is given.
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Db } from '../core/db.js';
import { tempDir } from './helpers.js';

const bin = resolve('bin/pimops.js');
const tmp = tempDir('pimops-demo-safety-');
afterAll(() => tmp.cleanup());

function pimops(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function folder(name: string): string {
  const d = join(tmp.dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('pimops demo never destroys what it did not make', () => {
  it('refuses an existing --dir that holds someone else’s files, and keeps them', () => {
    const cwd = folder('dir');
    mkdirSync(join(cwd, 'evidence'));
    writeFileSync(join(cwd, 'evidence', 'case-42.json'), '{"keep": true}');
    const r = pimops(['demo', '--admins', '3', '--dir', 'evidence'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir .*evidence exists and was not made by pimops demo/);
    expect(readFileSync(join(cwd, 'evidence', 'case-42.json'), 'utf8')).toBe('{"keep": true}');
    expect(existsSync(join(cwd, 'pimops.duckdb'))).toBe(false);
  });

  it('refuses to overwrite a pimops-demo.config.json it did not write', () => {
    const cwd = folder('config');
    writeFileSync(join(cwd, 'pimops-demo.config.json'), '{"breakGlassAccounts": ["mine@contoso.com"]}');
    const r = pimops(['demo', '--admins', '3'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pimops-demo\.config\.json exists and is not the one an earlier demo wrote/);
    expect(readFileSync(join(cwd, 'pimops-demo.config.json'), 'utf8')).toContain('mine@contoso.com');
  });

  it('refuses to add demo records to a store it did not make', async () => {
    const cwd = folder('store');
    const db = await Db.open(join(cwd, 'prod.duckdb'));
    await db.run('CREATE TABLE audit_events (id VARCHAR)');
    db.close();
    const r = pimops(['demo', '--admins', '3', '--db', 'prod.duckdb'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--db .*prod\.duckdb is a store pimops demo did not make/);
    expect(existsSync(join(cwd, 'pimops-demo'))).toBe(false);
  });

  it('runs again over its own earlier output, and --force overrides the refusal', () => {
    const cwd = folder('again');
    expect(pimops(['demo', '--admins', '3'], cwd).code).toBe(0);
    const second = pimops(['demo', '--admins', '3'], cwd);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/0 new/);
    writeFileSync(join(cwd, 'pimops-demo.config.json'), '{"breakGlassAccounts": []}');
    expect(pimops(['demo', '--admins', '3'], cwd).code).toBe(2);
    expect(pimops(['demo', '--admins', '3', '--force'], cwd).code).toBe(0);
  });
});
