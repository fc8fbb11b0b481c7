import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { allQueries, expandIncludes, parseQuery } from './registry.js';

describe('named queries', () => {
  it('expands every include line of a query, not only the first', () => {
    const text = expandIncludes('x.sql', 'WITH\n-- include: break_glass_ids\n, y AS (\n-- include: break_glass_ids\n)');
    expect(text).not.toContain('-- include:');
    const fragment = readFileSync('queries/fragments/break_glass_ids.sql', 'utf8')
      .split('\n')
      .find((l) => l && !l.startsWith('--'))!;
    expect(text.split(fragment).length - 1).toBe(2);
  });

  const queries = [...allQueries().values()];
  it('every query file has a complete header whose id is its file name', () => {
    expect(queries.length).toBeGreaterThanOrEqual(7);
    for (const q of queries) {
      expect(q.title, q.id).not.toBe(q.id);
      expect(q.description.length, q.id).toBeGreaterThan(20);
      expect(q.columns.length, q.id).toBeGreaterThan(0);
    }
  });

  it('binds thresholds as parameters, never as literals', () => {
    for (const q of queries) {
      expect(q.sql, q.id).not.toMatch(/\b(300|1800|0\.2)\b/);
    }
  });

  it('refuses a header that declares what the SQL does not use, or the reverse', () => {
    const file = '/x/m.sql';
    expect(() => parseQuery(file, '-- id: m\n-- title: M\n-- parameters:\n--   a INTEGER: a\nSELECT 1')).toThrow(
      /declared but not used/,
    );
    expect(() => parseQuery(file, '-- id: m\n-- title: M\nSELECT $b')).toThrow(/used but not declared/);
    expect(() => parseQuery(file, '-- id: other\nSELECT 1')).toThrow(/must equal the file name/);
    expect(
      parseQuery(
        file,
        readFileSync(new URL('./time_to_activate.sql', import.meta.url), 'utf8').replace(
          'id: time_to_activate',
          'id: m',
        ),
      ).parameters.map((p) => p.name),
    ).toEqual(['from', 'to', 'self_target_seconds', 'approval_target_seconds']);
  });

  it('every rule has its section in docs/rules.md, and every section there is a rule', () => {
    const doc = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
    const sections = [...doc.matchAll(/^## (\S+)$/gm)].map((m) => m[1]).filter((h) => h !== 'Exceptions');
    const rules = queries.flatMap((q) => (q.rule ? [q.rule.id] : [])).sort();
    expect(rules.length).toBeGreaterThan(30);
    expect(sections.sort()).toEqual(rules);
  });

  it('every rule says in one sentence what to do, and names a population query that counts who it judges', async () => {
    const { configParams } = await import('./params.js');
    const { testConfig } = await import('../test/helpers.js');
    const available = configParams(testConfig(), { from: new Date(0), to: new Date(0), asOf: new Date(0) });
    const rules = queries.flatMap((q) => (q.rule ? [q.rule] : []));
    for (const r of rules) {
      expect(r.action, r.id).toMatch(/^[A-Z].{15,200}\.$/);
      if (!r.population) continue;
      const p = allQueries().get(r.population);
      expect(p, `${r.id}: population ${r.population}`).toBeDefined();
      expect(p!.columns.map((c) => c.split(':')[0])).toEqual(['population', 'unit']);
      for (const param of p!.parameters) expect(available, `${p!.id}: ${param.name}`).toHaveProperty(param.name);
    }
    // docs/rules.md says the same sentence the report's "Do:" says, so the two never drift apart.
    const doc = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
    for (const r of rules) {
      const section = doc.split(/^## /m).find((x) => x.startsWith(`${r.id}\n`));
      expect(/^- What to do: (.*)$/m.exec(section ?? '')?.[1], r.id).toBe(r.action);
    }
    expect(rules.filter((r) => r.population).map((r) => r.id)).toEqual(
      expect.arrayContaining(['after_hours_activation', 'short_justification']),
    );
    const file = '/x/check_m.sql';
    const head = '-- id: check_m\n-- title: M\n-- severity: low\n-- doc: docs/rules.md#m\n';
    expect(() => parseQuery(file, `${head}SELECT 1`)).toThrow(/action:/);
    expect(() => parseQuery(file, `${head}-- action: Do this. Then that.\nSELECT 1`)).toThrow(/one sentence/);
    expect(() => parseQuery(file, `${head}-- action: Do this.\n-- population: admins\nSELECT 1`)).toThrow(
      /population_/,
    );
  });

  it('refuses a check whose header lacks its severity or its doc anchor', () => {
    const file = '/x/check_m.sql';
    const body = 'SELECT 1 AS severity';
    expect(() => parseQuery(file, `-- id: check_m\n-- title: M\n-- doc: docs/rules.md#m\n${body}`)).toThrow(/severity/);
    const act = '-- action: Do it.\n';
    expect(() =>
      parseQuery(file, `-- id: check_m\n-- title: M\n-- severity: low\n-- doc: docs/rules.md#other\n${body}`),
    ).toThrow(/doc: docs\/rules.md#m/);
    expect(
      parseQuery(
        file,
        `-- id: check_m\n-- title: M\n-- severity: high for some, info otherwise\n-- doc: docs/rules.md#m\n${act}${body}`,
      ).rule?.severities,
    ).toEqual(['info', 'high']);
  });
});

describe('list parameters', () => {
  it('reach SQL as DuckDB lists, from the config or typed by a person', async () => {
    const { getQuery, bind } = await import('./registry.js');
    const { listValue } = await import('../core/db.js');
    const q = getQuery('watchlist_break_glass');
    expect(bind(q, { break_glass_accounts: 'a@x.example, B@x.example' }).break_glass_accounts).toEqual(
      listValue(['a@x.example', 'B@x.example']),
    );
    expect(bind(q, { break_glass_accounts: '["a@x.example"]' }).break_glass_accounts).toEqual(
      listValue(['a@x.example']),
    );
    expect(() =>
      bind(getQuery('check_after_hours_activation'), {
        ...Object.fromEntries(getQuery('check_after_hours_activation').parameters.map((p) => [p.name, '1'])),
        business_weekdays: 'mon,tue',
      }),
    ).toThrow(/list of whole numbers/);
  });
});
