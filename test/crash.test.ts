// Crash consistency and concurrency: `pimops import` SIGKILLed at 20 points, each run resuming the
// last, ends with the same tables as one clean import; a second writer exits clearly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { withDb } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir('pimops-crash-');
const bin = resolve('bin/pimops.js');
const input = join(tmp.dir, 'in');
afterAll(() => tmp.cleanup());

const CHECKSUM = `SELECT
  (SELECT count(*) FROM audit_events) AS events,
  (SELECT bit_xor(hash(event_id, event_time, activity, request_key, landing_file, landing_line)) FROM audit_events) AS e,
  (SELECT bit_xor(hash(request_key, decision, requested_at, activated_at, ended_at, end_reason)) FROM pim_requests) AS r,
  (SELECT bit_xor(hash(request_key, started_at, ended_at)) FROM pim_activations) AS a,
  (SELECT bit_xor(hash(principal_id, role_id, start_at, removed_at)) FROM role_assignments) AS s,
  (SELECT count(*) FROM quarantine) AS q,
  (SELECT sum(records) FROM landing_files) AS landed`;

function cfg(name: string): string {
  const p = join(tmp.dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({ storage: { landingDir: join(tmp.dir, `${name}.landing`) } }));
  return p;
}

beforeAll(() => {
  const t = generateTenant({ seed: 77, admins: 8, start: new Date('2026-04-01T00:00:00Z'), days: 30 });
  // Many small files of every shape, so a kill lands between files, mid-file and mid-transform.
  emitFiles(t.records, t.tenant.id, { dir: input, seed: 77, chunk: 150, overlap: 3 });
  writeFileSync(join(input, 'broken.ndjson'), `${JSON.stringify(t.records[0])}\nnot json\n`);
});

describe('crash consistency', () => {
  it('converges to a clean import after SIGKILL at 8 points', async () => {
    const clean = join(tmp.dir, 'clean.duckdb');
    const t0 = performance.now();
    expect(spawnSync(process.execPath, [bin, '--db', clean, '--config', cfg('clean'), 'import', input]).status).toBe(0);
    // Kills are spread over the run as long as an uninterrupted import takes here: a fixed spread of
    // seconds missed every run once the import got faster than the spread (and a re-import changes nothing).
    const whole = performance.now() - t0;
    const want = await withDb(clean, testConfig({ storage: { landingDir: join(tmp.dir, 'clean.landing') } }), (db) =>
      db.one(CHECKSUM),
    );

    const db = join(tmp.dir, 'killed.duckdb');
    const config = cfg('killed');
    let died = 0;
    // Until 8 runs were killed (at most 40): a run that finished leaves re-imports, killed only early.
    for (let i = 0; i < 40 && died < 8; i++) {
      const child = spawn(process.execPath, [bin, '--db', db, '--config', config, 'import', input], {
        stdio: 'ignore',
      });
      // Spread the kills over a run: startup, landing, staging, deriving.
      const delay = Math.round(whole * (0.1 + 0.8 * (((i * 7) % 20) / 20)));
      const exited = await new Promise<boolean>((res) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          res(false);
        }, delay);
        child.on('exit', () => {
          clearTimeout(timer);
          res(true);
        });
      });
      if (!exited) died++;
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
    }
    expect(died, `killed ${died} runs (an import takes ${Math.round(whole)} ms here)`).toBeGreaterThan(5);
    expect(spawnSync(process.execPath, [bin, '--db', db, '--config', config, 'import', input]).status).toBe(0);
    const got = await withDb(db, testConfig({ storage: { landingDir: join(tmp.dir, 'killed.landing') } }), (x) =>
      x.one(CHECKSUM),
    );
    expect(got).toEqual(want);
  });

  it('refuses a second writer clearly while an import holds the database', async () => {
    const db = join(tmp.dir, 'busy.duckdb');
    const config = cfg('busy');
    expect(spawnSync(process.execPath, [bin, '--db', db, '--config', config, 'import', input]).status).toBe(0);
    // Hold the database open as a writer from another process.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const {DuckDBInstance}=require('@duckdb/node-api');DuckDBInstance.create(${JSON.stringify(db)}).then(i=>i.connect()).then(()=>{console.log('held');setTimeout(()=>{},20000)})`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((res) => holder.stdout.on('data', () => res()));
    try {
      const r = spawnSync(process.execPath, [bin, '--db', db, '--config', config, 'import', input, '--json'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        code: 'database-locked',
        error: expect.stringContaining('in use by another process'),
      });
    } finally {
      holder.kill();
    }
  });
});
