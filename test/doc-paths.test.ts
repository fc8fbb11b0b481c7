// Every repository path the docs cite exists, so a file moved or renamed cannot leave the docs
// pointing at nothing. Docs are every CONTEXT.md, every README.md and docs/*.md.
//
// What counts as a cited path (anything else in backticks is a command, a config key, a table or an
// output the program writes, and is not checked):
// - A markdown link [text](target) whose target has no scheme (http:, mailto:) and is not only an
//   #anchor: resolved from the doc's own folder, #anchor dropped.
// - A backticked token whose first segment is a top-level folder of this repository followed by a
//   slash (`transform/derive.ts`, `queries/`): resolved from the repository root. `sentinel/kql/`
//   in docs/sentinel.md is the export's output, and `sentinel` is no top-level folder, so it is not.
// - In a CONTEXT.md only, a backticked file name ending in .ts, .sql or .md, or a folder ending in a
//   slash, without a top-level prefix (`derive.ts`, `marts/`): it names something in that stage, so
//   it must exist in the CONTEXT.md's folder or somewhere below it (reports/CONTEXT.md's `tables.ts`
//   is reports/sentinel/tables.ts).
// Never paths: tokens with a placeholder or glob (`<db>.landing/`, `check_*.sql`, `…`, `{`, `|`),
// tokens with spaces (commands), tokens starting with ./ ../ ~ or / (the user's files, or ones
// outside the repository, like ../shared), and anything under a folder .gitignore lists (generated:
// `bench/data/records-N/`).
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const skipDirs = new Set(['node_modules', '.git']);

/** Every file and folder below dir, folders included so a cited folder can be found too. */
function walk(dir: string, out: { path: string; dir: boolean }[] = []): { path: string; dir: boolean }[] {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    const isDir = statSync(p).isDirectory();
    out.push({ path: p, dir: isDir });
    if (isDir) walk(p, out);
  }
  return out;
}

const entries = walk(root);
const files = entries.filter((e) => !e.dir).map((e) => e.path);
const docs = files.filter(
  (f) => /(^|\/)(CONTEXT|README)\.md$/.test(f) || (dirname(f) === join(root, 'docs') && f.endsWith('.md')),
);
const topLevel = new Set(
  readdirSync(root).filter((n) => !n.startsWith('.') && !skipDirs.has(n) && statSync(join(root, n)).isDirectory()),
);
const ignored = readFileSync(join(root, '.gitignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.endsWith('/') && !/[*?[]/.test(l));

const notAPath = /[\s*?<>{}|…$]/;

/** The paths one doc cites, each with where it must exist (a path, or a folder to find a name under). */
export function citedPaths(docPath: string, text: string): { cited: string; check: () => boolean }[] {
  const here = dirname(docPath);
  const out: { cited: string; check: () => boolean }[] = [];
  // Fenced code blocks show commands and output, not citations.
  const prose = text.replace(/```[\s\S]*?```/g, '');
  for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1].replace(/#.*$/, '');
    if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    out.push({ cited: m[1], check: () => existsSync(resolve(here, target)) });
  }
  const isContext = docPath.endsWith('CONTEXT.md');
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) {
    const token = m[1];
    if (notAPath.test(token) || /^(\.{1,2}\/|~|\/)/.test(token)) continue;
    const first = token.split('/')[0];
    if (token.includes('/') && topLevel.has(first)) {
      if (ignored.some((g) => token.startsWith(g))) continue;
      out.push({ cited: token, check: () => existsSync(join(root, token)) });
    } else if (
      isContext &&
      (/^[\w.-]+(\/[\w.-]+)*\.(ts|sql|md)$/.test(token) || /^[\w.-]+(\/[\w.-]+)*\/$/.test(token))
    ) {
      const want = token.replace(/\/$/, '');
      out.push({
        cited: token,
        check: () =>
          entries.some(
            (e) => e.path.startsWith(here + '/') && (e.path === join(here, want) || e.path.endsWith('/' + want)),
          ),
      });
    }
  }
  return out;
}

describe('paths cited in the docs', () => {
  it('reads the docs it should', () => {
    const names = docs.map((d) => relative(root, d));
    expect(names).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/schema.md',
        'transform/CONTEXT.md',
        'queries/CONTEXT.md',
        'reports/CONTEXT.md',
      ]),
    );
  });

  it('every cited repository path exists', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const doc of docs) {
      for (const c of citedPaths(doc, readFileSync(doc, 'utf8'))) {
        checked++;
        if (!c.check()) missing.push(`${relative(root, doc)}: ${c.cited}`);
      }
    }
    expect(missing).toEqual([]);
    // The rule must still find citations: a regex that matched nothing would pass vacuously.
    expect(checked).toBeGreaterThan(40);
  });

  it('tells a citation from a command, a placeholder, an output or a place outside the repository', () => {
    const cited = (doc: string, text: string) => citedPaths(join(root, doc), text).map((c) => c.cited);
    expect(
      cited(
        'docs/x.md',
        '`transform/derive.ts` `queries/` [s](schema.md#pim_requests) [w](https://learn.microsoft.com/x)',
      ),
    ).toEqual(['schema.md#pim_requests', 'transform/derive.ts', 'queries/']);
    expect(
      cited(
        'docs/x.md',
        '`pimops.config.json` `./pimops.duckdb` `<db>.landing/` `event_date=2026-10-01` `queries/check_*.sql` `../shared/reference/` `sentinel/kql/` `bench/data/records-N/` `pimops import insights-logs-auditlogs/`',
      ),
    ).toEqual([]);
    expect(cited('transform/CONTEXT.md', '`derive.ts` `marts/` `pim_requests` `manifest.ndjson`')).toEqual([
      'derive.ts',
      'marts/',
    ]);
    expect(cited('docs/x.md', '```\nsee `transform/gone.ts`\n```')).toEqual([]);
  });
});
