// Sentinel offers a content update only when a rule's version goes up: a rule whose content changed
// under the same version stays as it was in every workspace that installed it. The golden file holds
// each rule's content hash for the current RULE_VERSION; a change of content needs a new version.
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { analyticsRules } from '../reports/sentinel/rules.js';
import { RULE_VERSION } from '../reports/sentinel/rule-files.js';
import { testConfig } from './helpers.js';

const GOLDEN = new URL('./golden/sentinel-rule-versions.json', import.meta.url);
const newer = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return false;
};

describe('analytics rule versions', () => {
  it('go up whenever a rule changes', () => {
    const hashes = Object.fromEntries(
      analyticsRules(testConfig()).map((r) => [
        r.name,
        createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16),
      ]),
    );
    if (process.env.PIMOPS_WRITE_GOLDEN)
      writeFileSync(GOLDEN, JSON.stringify({ version: RULE_VERSION, rules: hashes }, null, 2) + '\n');
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { version: string; rules: Record<string, string> };
    if (RULE_VERSION === golden.version) {
      const changed = Object.keys({ ...hashes, ...golden.rules }).filter((k) => hashes[k] !== golden.rules[k]);
      expect(changed, `changed under version ${RULE_VERSION}: raise RULE_VERSION, then PIMOPS_WRITE_GOLDEN=1`).toEqual(
        [],
      );
    } else {
      expect(newer(RULE_VERSION, golden.version), `${RULE_VERSION} must be newer than ${golden.version}`).toBe(true);
      expect.fail(`RULE_VERSION is ${RULE_VERSION}: rewrite the golden with PIMOPS_WRITE_GOLDEN=1`);
    }
  });
});
