// pimops report: HTML, Markdown and JSON carry the numbers `pimops metrics --json` gives; the HTML
// opens in a real browser (headless Chromium) with every chart drawn, no console error, nothing
// fetched from the network, and hostile data rendered as text.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './helpers.js';
import { Rng } from '../fixtures/generator/prng.js';
import { pimRecord } from '../fixtures/generator/records.js';
import { ROLES } from '../fixtures/generator/roles.js';

const tmp = tempDir('pimops-report-');
const bin = resolve('bin/pimops.js');
const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [bin, ...args], { cwd: tmp.dir, encoding: 'utf8', env });
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const HOSTILE = '<img src=x onerror=alert(1)>';
beforeAll(() => {
  expect(run(['demo', '--through', '2026-10', '--admins', '16']).status).toBe(0);
  // A principal whose name is markup, in the same period.
  const rng = new Rng(5);
  const who = {
    id: 'e0000000-0000-4000-8000-0000000000ee',
    upn: `${HOSTILE}@evil.example`,
    name: HOSTILE,
    type: 'User' as const,
  };
  const base = {
    plane: 'entra_role' as const,
    scope: { id: '/', name: 'D' },
    role: ROLES.userAdmin,
    principal: who,
    actor: who,
    key: 'hostile-1',
    keyMode: 'detail' as const,
    auditType: 'X',
    operationType: 'Add',
  };
  mkdirSync(join(tmp.dir, 'hostile'), { recursive: true });
  writeFileSync(
    join(tmp.dir, 'hostile', 'h.ndjson'),
    [
      pimRecord(
        {
          ...base,
          activity: 'Add member to role requested (PIM activation)',
          at: new Date('2026-10-20T10:00:00Z'),
          extraDetails: { Justification: HOSTILE },
        },
        { id: 't', name: 'T' },
        rng,
      ),
      // Approved by themself: a high finding whose text names them, in the visible findings table.
      pimRecord(
        {
          ...base,
          activity: 'Add member to role request approved (PIM activation)',
          at: new Date('2026-10-20T10:00:30Z'),
        },
        { id: 't', name: 'T' },
        rng,
      ),
      pimRecord(
        {
          ...base,
          activity: 'Add member to role completed (PIM activation)',
          at: new Date('2026-10-20T10:01:00Z'),
          extraDetails: { ExpirationTime: '2026-10-20T11:01:00Z' },
        },
        { id: 't', name: 'T' },
        rng,
      ),
      pimRecord(
        {
          ...base,
          activity: 'Add member to role in PIM completed (permanent)',
          at: new Date('2026-10-20T12:00:00Z'),
          key: 'hostile-2',
          principal: { ...who, upn: `${HOSTILE}@evil.example` },
        },
        { id: 't', name: 'T' },
        rng,
      ),
    ]
      // Without a tid: they are the demo tenant's, placed as the store's only tenant.
      .map((r) => JSON.stringify({ ...r, additionalDetails: r.additionalDetails.filter((d) => d.key !== 'tid') }))
      .join('\n') + '\n',
  );
  expect(run(['import', 'hostile']).status).toBe(0);
});
afterAll(() => tmp.cleanup());

describe('pimops report', () => {
  it('writes HTML, Markdown and JSON whose numbers agree with pimops metrics --json', () => {
    const cfg = ['--config', 'pimops-demo.config.json'];
    for (const ext of ['html', 'md', 'json']) {
      const r = run([...cfg, 'report', '--period', '2026-10', '--out', `out/report.${ext}`]);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(join(tmp.dir, 'out', `report.${ext}`)).mode & 0o077).toBe(0);
    }
    const metrics = JSON.parse(run([...cfg, 'metrics', '--from', '2026-10-01', '--to', '2026-11-01', '--json']).stdout);
    const json = JSON.parse(readFileSync(join(tmp.dir, 'out', 'report.json'), 'utf8'));
    expect(json.metrics.timeToActivate).toEqual(metrics.timeToActivate);
    expect(json.metrics.approvals).toEqual(metrics.approvals);
    expect(json.metrics.standingAssignments.total).toBe(metrics.standingAssignments.total);
    expect(json.targets.map((t: { id: string }) => t.id)).toEqual([
      'tta-self',
      'tta-approval',
      'approval-rate',
      'standing',
      'findings',
    ]);
    expect(json.previous).toHaveLength(2);
    const md = readFileSync(join(tmp.dir, 'out', 'report.md'), 'utf8');
    expect(md).toContain(`p50 ${Math.round(metrics.timeToActivate.self.p50Seconds)} s`);
    expect(md).toContain('\\<img src=x onerror=alert(1)\\>');
    const html = readFileSync(join(tmp.dir, 'out', 'report.html'), 'utf8');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toMatch(new RegExp(`data-metric="tta-self-count">${metrics.timeToActivate.self.count}<`));
  });

  it('leads with what needs attention, groups findings by rule, and writes every finding as CSV beside it', () => {
    const json = JSON.parse(readFileSync(join(tmp.dir, 'out', 'report.json'), 'utf8'));
    const bg = JSON.parse(readFileSync(join(tmp.dir, 'pimops-demo.config.json'), 'utf8'))
      .breakGlassAccounts as string[];
    // The generator plants a break-glass sign-in and action in the last month only: new and critical.
    const first = json.attention.items[0];
    expect(first).toMatchObject({ kind: 'finding', level: 'critical' });
    expect(['break_glass_action', 'break_glass_sign_in']).toContain(first.ruleId);
    expect(first.detail).toContain(bg[0]);
    expect(first.action.length).toBeGreaterThan(20);
    expect(json.attention.items.length).toBeLessThanOrEqual(5);
    const row = json.findings.rules.find((r: { ruleId: string }) => r.ruleId === first.ruleId);
    expect(row).toMatchObject({ severity: 'critical', new: 1, recurring: 0 });
    // One row per rule, each subject once.
    const weighed = json.findings.items.filter(
      (f: { severity: string; excepted: boolean }) => f.severity !== 'info' && !f.excepted,
    );
    const rules = json.findings.rules.filter((r: { subjects: number }) => r.subjects > 0);
    expect(rules.map((r: { ruleId: string }) => r.ruleId).sort()).toEqual(
      [...new Set(weighed.map((f: { ruleId: string }) => f.ruleId))].sort(),
    );
    const md = readFileSync(join(tmp.dir, 'out', 'report.md'), 'utf8');
    expect(md.indexOf('## Needs attention')).toBeLessThan(md.indexOf('## Targets'));
    expect(md).toMatch(/^# PIM operations report, October 2026, UTC$/m);
    expect(md).toMatch(/^## Change since September 2026, UTC$/m);
    expect(md).toMatch(/^1\. \*\*New critical: Break-glass account/m);
    expect(md.indexOf('## Findings by rule')).toBeLessThan(md.indexOf('## Appendix: every finding'));
    // The four asked-for lines, each from its query.
    const asked = md.slice(md.indexOf('## Asked for'), md.indexOf('## Appendix'));
    expect(asked).toMatch(/^- \d+ eligible or active assignment\(s\) end in the next 30 days/m);
    expect(asked).toMatch(/^- \d+ access-review denial\(s\) not applied/m);
    const total = json.asked.licences.find((l: { category: string }) => l.category.startsWith('total')).people;
    expect(total).toBeGreaterThan(0);
    expect(asked).toContain(`- ${total} people need a Microsoft Entra ID P2 or ID Governance licence for PIM`);
    expect(json.asked.firstAction.activations).toBeGreaterThan(0);
    expect(asked).toMatch(/^- Grant to first action with the role: p50 /m);
    const csv = readFileSync(join(tmp.dir, 'out', 'report.findings.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toMatch(/^rule_id,severity,subject_type,subject_id,subject_name,/);
    expect(csv).toHaveLength(json.findings.items.length + 1);
    expect(statSync(join(tmp.dir, 'out', 'report.findings.csv')).mode & 0o077).toBe(0);
  });

  it('pseudonymizes people with a stable keyed alias, and refuses without a key', () => {
    const env = { ...process.env, PIMOPS_PSEUDONYM_KEY: 'k1' };
    const a = run(
      [
        '--config',
        'pimops-demo.config.json',
        'report',
        '--period',
        '2026-10',
        '--pseudonymize',
        '--out',
        'out/p1.json',
      ],
      env,
    );
    const b = run(
      [
        '--config',
        'pimops-demo.config.json',
        'report',
        '--period',
        '2026-10',
        '--pseudonymize',
        '--out',
        'out/p2.json',
      ],
      env,
    );
    expect(a.status, a.stderr).toBe(0);
    expect(b.status).toBe(0);
    const one = readFileSync(join(tmp.dir, 'out', 'p1.json'), 'utf8');
    expect(one).not.toMatch(/admin\d+@contoso\.example|breakglass/);
    const aliases = (s: string) => [...s.matchAll(/user-[0-9a-f]{10}@pseudonym/g)].map((m) => m[0]);
    expect(aliases(one).length).toBeGreaterThan(10);
    expect(aliases(readFileSync(join(tmp.dir, 'out', 'p2.json'), 'utf8'))).toEqual(aliases(one));
    const noKey = run(['report', '--period', '2026-10', '--pseudonymize', '--json'], {
      ...process.env,
      PIMOPS_PSEUDONYM_KEY: '',
    });
    expect(noKey.status).toBe(2);
  });

  it.skipIf(!chromium)(
    'opens in headless Chromium: charts drawn, no console error, no network, hostile text inert',
    async () => {
      const { chromium: pw } = await import('playwright-core');
      const browser = await pw.launch({
        executablePath: chromium,
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const errors: string[] = [];
        const requests: string[] = [];
        let dialogs = 0;
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('request', (r) => {
          if (!r.url().startsWith('file://')) requests.push(r.url());
        });
        page.on('dialog', async (d) => {
          dialogs++;
          await d.dismiss();
        });
        await page.goto(`file://${join(tmp.dir, 'out', 'report.html')}`);
        for (const id of ['tta', 'outcomes', 'activeHours', 'standing', 'findings']) {
          expect(
            await page
              .locator(
                `[data-chart="${id}"] svg .mark-rect path, [data-chart="${id}"] svg .mark-symbol path, [data-chart="${id}"] svg .mark-line path`,
              )
              .count(),
            id,
          ).toBeGreaterThan(0);
        }
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        expect(dialogs).toBe(0);
        expect(await page.locator('body img').count()).toBe(0);
        expect(await page.locator('body').innerText()).toContain(HOSTILE);
        const metrics = JSON.parse(
          run([
            '--config',
            'pimops-demo.config.json',
            'metrics',
            '--from',
            '2026-10-01',
            '--to',
            '2026-11-01',
            '--json',
          ]).stdout,
        );
        expect(await page.locator('[data-metric="approved"]').innerText()).toBe(String(metrics.approvals.approved));
        expect(await page.locator('[data-target="tta-self"]').getAttribute('data-status')).toMatch(/pass|warn|fail/);
        await page.screenshot({ path: join(tmp.dir, 'out', 'report-1280x800.png') });
        // At 1280×800, before any scrolling: the attention block and its first item are on screen, and that
        // item is the break-glass use the generator planted.
        const box = await page.locator('#attention').boundingBox();
        const item = page.locator('#attention li').first();
        const itemBox = await item.boundingBox();
        expect(box && itemBox).toBeTruthy();
        expect(box!.y).toBeGreaterThanOrEqual(0);
        expect(itemBox!.y + itemBox!.height).toBeLessThanOrEqual(800);
        expect(await item.getAttribute('data-level')).toBe('critical');
        expect(await item.getAttribute('data-rule')).toMatch(/^break_glass_(action|sign_in)$/);
        const bg = JSON.parse(readFileSync(join(tmp.dir, 'pimops-demo.config.json'), 'utf8')).breakGlassAccounts;
        expect(await item.innerText()).toContain(bg[0]);
        // Nothing above it but the title, the period line and staleness notes.
        expect(await page.locator('#attention').evaluate((e) => e.previousElementSibling?.className)).toMatch(
          /^(meta|stale)$/,
        );
      } finally {
        await browser.close();
      }
    },
  );
});
if (!chromium) console.warn('report browser test skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)');
