import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../core/config.js';
import { Db } from '../core/db.js';

export function tempDir(prefix = 'pimops-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retries: a child process that was just killed (the shell under tmux) can still be writing its history or
  // DuckDB's temp files while the tree is removed, and rmdir then fails with ENOTEMPTY.
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }) };
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
