// Issue 17, items 1-3 end to end: a principal whose UPN and justification carry a CSV formula, a
// lone CR, pipes, markup and terminal escapes (clear screen, OSC 52, 8-bit CSI, bidi override) goes
// through a real import; every human-readable output shows it inert, and the Sentinel watchlist keeps
// it exact and names it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { Rng } from '../fixtures/generator/prng.js';
import { pimRecord } from '../fixtures/generator/records.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import type { Config } from '../core/config.js';
import { explainRequest } from '../reports/explain.js';
import { metricsReport } from '../reports/metrics.js';
import { metricsText } from '../reports/metrics-text.js';
import { runChecks } from '../reports/checks.js';
import { buildReport } from '../reports/report.js';
import { renderMarkdown } from '../reports/render.js';
import { renderRows } from '../reports/format.js';
import { exportSentinel } from '../reports/sentinel/index.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir('pimops-hostile-');
const UPN = "-2+3+cmd|' /C calc'!A0\r| x | \x1b[2J\x1b]52;c;ZXZpbA==\x07\u009b31m\u202e@evil.example";
const WHY =
  '=HYPERLINK("http://evil.example")\rline two | `x` <b>b</b> \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\';
const PERIOD = {
  from: new Date('2026-10-01T00:00:00Z'),
  to: new Date('2026-11-01T00:00:00Z'),
  asOf: new Date('2026-11-01T00:00:00Z'),
};
/** What a terminal would obey: C0 but LF, DEL, C1, bidi controls. */
const OBEYED = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const db = join(tmp.dir, 'h.duckdb');
let config: Config;

/** Cells per row of each table in the text, as markdown-it (CommonMark + GFM tables) parses it. */
function tables(markdown: string): number[][] {
  const out: number[][] = [];
  let n = 0;
  for (const t of new MarkdownIt().parse(markdown, {})) {
    if (t.type === 'table_open') out.push([]);
    if (t.type === 'tr_open') n = 0;
    if (t.type === 'th_open' || t.type === 'td_open') n++;
    if (t.type === 'tr_close') out.at(-1)!.push(n);
  }
  return out;
}

beforeAll(async () => {
  const rng = new Rng(17);
  const who = { id: 'e0000000-0000-4000-8000-0000000000ee', upn: UPN, name: UPN, type: 'User' as const };
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
  const t = { id: 't', name: 'T' };
  mkdirSync(join(tmp.dir, 'in'), { recursive: true });
  writeFileSync(
    join(tmp.dir, 'in', 'h.ndjson'),
    [
      pimRecord(
        {
          ...base,
          activity: 'Add member to role requested (PIM activation)',
          at: new Date('2026-10-20T10:00:00Z'),
          extraDetails: { Justification: WHY },
        },
        t,
        rng,
      ),
      pimRecord(
        {
          ...base,
          activity: 'Add member to role request approved (PIM activation)',
          at: new Date('2026-10-20T10:00:30Z'),
        },
        t,
        rng,
      ),
      pimRecord(
        {
          ...base,
          activity: 'Add member to role completed (PIM activation)',
          at: new Date('2026-10-20T10:01:00Z'),
          extraDetails: { ExpirationTime: '2026-10-20T11:01:00Z' },
        },
        t,
        rng,
      ),
      pimRecord(
        {
          ...base,
          activity: 'Add member to role in PIM completed (permanent)',
          at: new Date('2026-10-20T12:00:00Z'),
          key: 'hostile-2',
        },
        t,
        rng,
      ),
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  config = testConfig({ breakGlassAccounts: ['-1+1@evil.example'] }, tmp.dir);
  await importPaths(db, config, [join(tmp.dir, 'in')]);
});
afterAll(() => tmp.cleanup());

describe('hostile text from the log', () => {
  it('is in the store as typed (the rest of this file would prove nothing otherwise)', async () => {
    const rows = await withDb(db, config, (x) =>
      x.all<{ principal_upn: string; justification: string }>(
        `SELECT principal_upn, justification FROM pim_requests WHERE request_key = 'hostile-1'`,
      ),
    );
    expect(rows[0].principal_upn.toLowerCase()).toBe(UPN.toLowerCase());
    expect(rows[0].justification).toBe(WHY);
  });

  it('item 1: sql --format csv makes formula cells text', async () => {
    const res = await withDb(db, config, (x) =>
      x.allJson(`SELECT principal_upn, justification FROM pim_requests WHERE request_key = 'hostile-1'`),
    );
    const csv = renderRows(res.columns, res.rows, 'csv');
    expect(csv).toContain(`"'-2+3+cmd|`);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"")`);
  });

  it("item 2: the report's Markdown keeps every table's cell count, and --format markdown too", async () => {
    const model = await withDb(db, config, (x) => buildReport(x, config, PERIOD, { compare: 0, pseudonymize: false }));
    const md = renderMarkdown(model);
    expect(md).toContain('calc'); // the hostile principal is in it
    const found = tables(md);
    expect(found.length).toBeGreaterThan(3);
    for (const rows of found) expect(rows, md).toEqual(Array(rows.length).fill(rows[0]));
    expect(md).not.toMatch(OBEYED);
    expect(new MarkdownIt({ html: true }).render(md)).not.toMatch(/<b>|<code>|<a /);

    const res = await withDb(db, config, (x) =>
      x.allJson(`SELECT principal_upn, justification, request_key FROM pim_requests`),
    );
    expect(tables(renderRows(res.columns, res.rows, 'markdown'))).toEqual([Array(res.rows.length + 1).fill(3)]);
  });

  it('item 3: explain-request, metrics, the checks table and --format table show escapes without sending them', async () => {
    const story = await withDb(db, config, (x) => explainRequest(x, 'hostile-1'));
    expect(story).not.toMatch(OBEYED);
    expect(story.toLowerCase()).toContain('\\x1b[2j\\x1b]52;c;');
    expect(story).toContain('\\x1b]8;;http://evil.example');
    // The request is one line: the CR in the name or the justification cannot start a forged one.
    expect(story.split('\n')[0]).toMatch(
      /^2026-10-20T10:00:00Z: .*calc.* asked for User Administrator, saying ".*click.*"\.$/,
    );

    const text = await withDb(db, config, async (x) => metricsText(await metricsReport(x, config, PERIOD)));
    expect(text.toLowerCase()).toContain('\\x1b[2j');
    expect(text).not.toMatch(OBEYED);

    const findings = await withDb(db, config, (x) => runChecks(x, config, PERIOD));
    const hostile = findings.filter((f) => JSON.stringify(f).includes('calc'));
    expect(hostile.length).toBeGreaterThan(0);
    const columns = Object.keys(hostile[0]);
    const table = renderRows(columns, hostile as unknown as Record<string, unknown>[], 'table');
    expect(table).toContain('calc');
    expect(table).not.toMatch(OBEYED);

    const res = await withDb(db, config, (x) => x.allJson(`SELECT principal_upn, justification FROM pim_requests`));
    expect(renderRows(res.columns, res.rows, 'table')).not.toMatch(OBEYED);
  });

  it('item 1, Sentinel: watchlists stay exact (KQL join keys) and the export names each formula-looking value', async () => {
    const out = join(tmp.dir, 'sentinel');
    const r = await withDb(db, config, (x) => exportSentinel(x, config, out, { period: PERIOD }));
    const bg = readFileSync(join(out, 'watchlists', `${config.sentinel.watchlistPrefix}BreakGlass.csv`), 'utf8');
    expect(bg).toMatch(/^account,.*\n-1\+1@evil\.example,/);
    const standing = readFileSync(
      join(out, 'watchlists', `${config.sentinel.watchlistPrefix}StandingAssignments.csv`),
      'utf8',
    );
    expect(standing.toLowerCase()).toContain(`"${UPN.toLowerCase()}"`);
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^watchlist watchlist_break_glass, row 1, column account: '-1\+1@evil\.example' would run as a formula/,
        ),
        expect.stringMatching(
          /^watchlist standing_assignments, row \d+, column principal_upn: '-2\+3\+cmd.*\\x1b\[2j/i,
        ),
      ]),
    );
    for (const w of r.warnings) expect(w).not.toMatch(OBEYED);
    expect(JSON.parse(readFileSync(join(out, 'payloads/summary.json'), 'utf8')).warnings).toEqual(r.warnings);
  });
});
