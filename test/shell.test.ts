// The shell in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync, execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const tmp = tempDir();
const session = `pimops-test-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-t', session, '-p', '-S', '-200');
/** Types text (a trailing ';' escaped: tmux reads a bare one as its own command separator) and presses Enter. */
const type = (text: string, enter = true) => {
  tmux('send-keys', '-t', session, '-l', text.replace(/;$/, ''));
  if (text.endsWith(';')) tmux('send-keys', '-t', session, '\\;');
  if (enter) tmux('send-keys', '-t', session, 'Enter');
};
async function waitFor(pattern: RegExp, ms = 15000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (pattern.test(s)) return s;
    if (Date.now() > until) throw new Error(`screen never showed ${pattern}:\n${s}`);
    await sleep(150);
  }
}

let db: string;
const history = join(tmp.dir, 'history');
beforeAll(async () => {
  if (!hasTmux) return;
  const t = generateTenant({ seed: 8, admins: 4, start: new Date('2026-06-01T00:00:00Z'), days: 15 });
  emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 8 });
  db = join(tmp.dir, 'p.duckdb');
  await importPaths(db, testConfig({}, tmp.dir), [join(tmp.dir, 'in')]);
});
/** Ends the tmux session and waits until the shell process inside it has exited, so nothing writes into tmp after. */
async function stop() {
  const pid = Number(
    spawnSync('tmux', ['display-message', '-p', '-t', session, '#{pane_pid}'], { encoding: 'utf8' }).stdout,
  );
  spawnSync('tmux', ['kill-session', '-t', session]);
  if (!pid) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const until = Date.now() + 5000; alive() && Date.now() < until;) await sleep(50);
}
afterAll(async () => {
  if (hasTmux) await stop();
  tmp.cleanup();
});

async function start() {
  await stop();
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '200',
    '-y',
    '60',
    '-e',
    `PIMOPS_HISTORY=${history}`,
    `${process.execPath} ${resolve('bin/pimops.js')} --db ${db} shell`,
  );
}

describe.skipIf(!hasTmux)('pimops shell (in tmux)', () => {
  it('runs multi-line SQL, completes names, refuses writes, cancels with Ctrl-C, and keeps history', async () => {
    await start();
    await waitFor(/^pimops>\s*$/m);
    type('SELECT count(*) AS n');
    await waitFor(/\.\.\.>\s*$/m);
    type('FROM audit_events;');
    await waitFor(/│ n +│[\s\S]*\(1 row\)/);

    type('SELECT count(*) AS c FROM pim_requ', false);
    tmux('send-keys', '-t', session, 'Tab');
    await waitFor(/FROM pim_requests/);
    type(';');
    await waitFor(/│ c +│/);

    type('DELETE FROM audit_events;');
    await waitFor(/refused: the shell is read-only/);

    type('SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3;');
    await sleep(1500);
    tmux('send-keys', '-t', session, 'C-c');
    await waitFor(/query cancelled/);

    type('.format csv');
    type('.query request_trace request=nothing');
    await waitFor(/event_time,step,activity/);
    type('.schema pim_requests');
    await waitFor(/approval_required BOOLEAN/);
    tmux('send-keys', '-t', session, 'C-d');
    await sleep(800);

    // History survives the session: the multi-line statement is one entry, recalled with Up.
    expect(readFileSync(history, 'utf8')).toContain('SELECT count(*) AS n FROM audit_events;');
    await start();
    await waitFor(/^pimops>\s*$/m);
    for (let i = 0; i < 7; i++) tmux('send-keys', '-t', session, 'Up');
    await waitFor(/pimops> SELECT count\(\*\) AS n FROM audit_events;/);
    tmux('send-keys', '-t', session, 'C-c');
    tmux('send-keys', '-t', session, 'C-d');
  });
});
