// The control mappings against what they point at: every rule is mapped (an empty mapping is a
// decision, written down), nothing names a rule, query or control that does not exist, and each
// rule's section in docs/rules.md carries exactly its mapping.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { allQueries } from './registry.js';
import { CONTROL_MAP, FRAMEWORKS, FRAMEWORK_IDS, controlsLine, frameworkOf, mappedTo } from './controls.js';
import { PimopsError } from '../core/errors.js';

const rules = [...allQueries().values()].flatMap((q) => (q.rule ? [q.rule.id] : []));

describe('control mappings', () => {
  it('map every rule and every metric reports/metrics.ts runs', () => {
    const metrics = [...readFileSync('reports/metrics.ts', 'utf8').matchAll(/runQuery\(db, '(\w+)'/g)].map((m) => m[1]);
    expect(metrics.length).toBeGreaterThan(3);
    for (const id of [...rules, ...metrics]) expect(CONTROL_MAP, id).toHaveProperty(id);
  });

  it('name only rules and queries that exist, and controls in their framework catalog', () => {
    for (const [id, mapping] of Object.entries(CONTROL_MAP)) {
      expect(rules.includes(id) || allQueries().has(id), `${id} is neither a rule nor a query`).toBe(true);
      for (const [framework, controls] of Object.entries(mapping)) {
        for (const c of controls)
          expect(
            Object.keys(FRAMEWORKS[framework as keyof typeof FRAMEWORKS].controls),
            `${id}: ${framework} ${c}`,
          ).toContain(c);
      }
    }
  });

  it('give every framework rules, and leave unevidenced only the controls pimops cannot see', () => {
    const unused: string[] = [];
    for (const f of FRAMEWORK_IDS) {
      const used = new Set(mappedTo(f).flatMap((m) => m.controls));
      unused.push(...Object.keys(FRAMEWORKS[f].controls).filter((c) => !used.has(c)));
      expect(
        mappedTo(f).some((m) => rules.includes(m.id)),
        f,
      ).toBe(true);
    }
    // Cloud-only accounts (7.3) and the alert settings (7.8, 7.9) are not in the audit log pimops reads.
    expect(unused).toEqual(['MS.AAD.7.3v1', 'MS.AAD.7.8v1', 'MS.AAD.7.9v1']);
  });

  it('are cited in docs/rules.md, one Controls line per rule equal to the table', () => {
    const doc = readFileSync('docs/rules.md', 'utf8');
    for (const id of rules) {
      const section = doc.split(/^## /m).find((s) => s.startsWith(`${id}\n`));
      expect(section, id).toBeDefined();
      expect(section!.match(/^- Controls: .*$/gm), id).toEqual([`- Controls: ${controlsLine(id)}`]);
    }
    for (const f of FRAMEWORK_IDS) expect(doc).toContain(`(\`${f}\`)`);
  });

  it('refuse an unknown framework as a usage error', () => {
    expect(() => frameworkOf('pci')).toThrow(PimopsError);
    try {
      frameworkOf('pci');
    } catch (e) {
      expect((e as PimopsError).exitCode).toBe(2);
    }
    expect(frameworkOf('cisa-scuba').basis).toBe('published text');
  });
});
