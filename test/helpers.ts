import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../core/config.js';
import { Db } from '../core/db.js';

export function tempDir(prefix = 'pimops-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(over: Record<string, unknown> = {}, dir?: string): Config {
  return parseConfig({ ...over, ...(dir ? { storage: { landingDir: join(dir, 'landing') } } : {}) });
}

export async function withReadDb<T>(path: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.open(path);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
