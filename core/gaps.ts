// One policy for partial failures, used by every pull (the snapshot today; other planes and clouds
// later): a gap that is expected and named is a warning; any other gap fails the command. Expected
// means a licence the tenant lacks (Graph says so in its error), or an endpoint the config lists in
// acknowledgedGaps (a permission the organisation chose not to grant).
import { PimopsError } from './errors.js';

export interface PullOutcome {
  /** The endpoint (or subscription, plane…) by the name the summary and the config use. */
  name: string;
  error?: string;
  /** Set by the pull when the gap is partial by design and named per item (users without sign-in data). */
  expected?: string;
}

export interface Gap {
  name: string;
  reason: string;
  /** Why it is only a warning; absent when the gap fails the command. */
  expected?: string;
}

const LICENCE = /licen[cs]e|AadPremium|premium|P1|P2|Entra ID Governance/i;

export function classifyGaps(
  outcomes: PullOutcome[],
  acknowledged: readonly string[],
): { warnings: Gap[]; failures: Gap[] } {
  const names = new Set(outcomes.map((o) => o.name));
  const unknown = acknowledged.filter((a) => !names.has(a));
  if (unknown.length) {
    throw new PimopsError(
      'config-invalid',
      `acknowledgedGaps names ${unknown.map((u) => `'${u}'`).join(', ')}, which this pull does not have. Known: ${[...names].join(', ')}`,
    );
  }
  const warnings: Gap[] = [];
  const failures: Gap[] = [];
  for (const o of outcomes) {
    if (!o.error) continue;
    if (o.expected) warnings.push({ name: o.name, reason: o.error, expected: o.expected });
    else if (acknowledged.includes(o.name))
      warnings.push({ name: o.name, reason: o.error, expected: 'listed in acknowledgedGaps' });
    else if (LICENCE.test(o.error))
      warnings.push({ name: o.name, reason: o.error, expected: 'the tenant lacks the licence' });
    else failures.push({ name: o.name, reason: o.error });
  }
  return { warnings, failures };
}

/** The error a pull with unexpected gaps ends with, after landing everything that did answer. */
export function gapError(what: string, failures: Gap[]): PimopsError {
  return new PimopsError(
    'azure-permission',
    `${what}: ${failures.length} endpoint(s) failed: ${failures.map((f) => `${f.name} (${f.reason})`).join('; ')}. ` +
      'What answered was landed. Grant what is missing (docs/azure-setup.md), or list the endpoint in acknowledgedGaps to accept the gap.',
  );
}
