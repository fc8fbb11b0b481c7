// pimops run mails the report through Graph sendMail with the real Graph client, over HTTPS to the
// loopback fake: a summary in the body, the HTML report attached, a one-line subject, nothing secret
// in the log, and a mailbox outside the application's scope refused (the step fails, the run says so).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { mailSubject } from '../reports/mail.js';

const tmp = tempDir('pimops-mail-');
const bin = resolve('bin/pimops.js');
const db = join(tmp.dir, 'p.duckdb');
const t = generateTenant({ seed: 12, admins: 6, start: new Date('2026-09-01T00:00:00Z'), days: 61 });
let fake: FakeAzure;

function run(from: string, subjectPrefix: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cfg = join(tmp.dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      storage: { landingDir: join(tmp.dir, 'landing') },
      breakGlassAccounts: t.breakGlass.map((b) => b.upn),
      azure: fakeAzureConfig(fake),
      run: { reportDir: join(tmp.dir, 'reports'), mail: { from, to: ['secops@contoso.example'], subjectPrefix } },
    }),
  );
  return new Promise((done) => {
    // Asynchronous: the fake answers from this process while the run waits on it.
    const p = spawn(process.execPath, [bin, '--db', db, '--config', cfg, 'run', '--period', '2026-10'], {
      env: { ...process.env, ...fakeEnv(fake) },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  fake = await startFakeAzure();
  fake.mailboxes = ['pimops-reports@contoso.example'];
  emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 12 });
  await importPaths(db, testConfig({ storage: { landingDir: join(tmp.dir, 'landing') } }), [join(tmp.dir, 'in')]);
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe('mailing the report', () => {
  it('sends the summary in the body and the HTML attached, through the real Graph client', async () => {
    const r = await run('pimops-reports@contoso.example', 'PIM\r\nBcc: evil@x.example');
    const steps = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step?: string; ok?: boolean; detail?: string });
    expect(
      steps.find((s) => s.step === 'mail'),
      r.stderr,
    ).toMatchObject({
      ok: true,
      detail: 'sent to 1 recipient(s), report attached',
    });
    expect(fake.mails).toHaveLength(1);
    const m = fake.mails[0].message as {
      subject: string;
      body: { contentType: string; content: string };
      toRecipients: { emailAddress: { address: string } }[];
      attachments: { name: string; contentType: string; contentBytes: string }[];
    };
    // The header injection became text on one line.
    expect(m.subject).toMatch(
      /^PIM Bcc: evil@x\.example: PIM operations report, October 2026, UTC: \d+ critical, \d+ high$/,
    );
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.toRecipients).toEqual([{ emailAddress: { address: 'secops@contoso.example' } }]);
    expect(m.body.contentType).toBe('HTML');
    expect(m.body.content).toContain('<h2>Needs attention</h2>');
    expect(m.body.content).not.toMatch(/<svg|<img/);
    const html = readFileSync(join(tmp.dir, 'reports', 'pimops-2026-10-01.html'), 'utf8');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ name: 'pimops-2026-10-01.html', contentType: 'text/html' });
    expect(Buffer.from(m.attachments[0].contentBytes, 'base64').toString('utf8')).toBe(html);
    // Nothing secret anywhere a person reads: the log, the summary line, the message.
    for (const text of [r.stdout, r.stderr, fake.mails[0].raw])
      for (const secret of [fake.clientSecret, ...fake.tokensIssued]) expect(text).not.toContain(secret);
  });

  it('fails the mail step, not the reports, when the mailbox is outside what the application may send as', async () => {
    const before = fake.mails.length;
    const r = await run('someone-else@contoso.example', 'PIM');
    const mail = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step?: string; ok?: boolean; code?: string })
      .find((s) => s.step === 'mail');
    expect(mail).toMatchObject({ ok: false });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^status: failed/);
    expect(fake.mails).toHaveLength(before);
    for (const secret of [fake.clientSecret, ...fake.tokensIssued]) expect(r.stderr + r.stdout).not.toContain(secret);
  });
});

describe('the subject line', () => {
  it.each([
    ['a\r\nb', 'a b'],
    ['a\nBcc: x', 'a Bcc: x'],
    ['tab\there', 'tab here'],
    ['esc\u001b[31m', 'esc [31m'],
    ['line\u2028sep', 'line sep'],
    ['  padded  ', 'padded'],
  ])('%j → %j', (input, want) => {
    expect(mailSubject(input)).toBe(want);
  });
});
