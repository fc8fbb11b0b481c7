// Findings grouped by rule, compared with the previous period: a reader sees one row per rule (how
// many subjects, what is new, what recurs, what was resolved) instead of one row per finding, and a
// rule that fires for most of the people it judges is named as a rule to tune, not a list to read.
// Pure: the findings of both periods, the rules and their populations come in; rows go out.
import { SEVERITIES, type Severity } from '../queries/findings.js';
import type { Finding } from './checks.js';

export interface RuleInfo {
  id: string;
  title: string;
  action: string;
  /** The config keys its thresholds come from, as the check's header states them (with defaults). */
  thresholds: string[];
  doc: string;
}

export interface Population {
  population: number;
  unit: string;
}

export interface RuleRow {
  ruleId: string;
  title: string;
  /** The highest severity among this period's findings (the previous period's when all were resolved). */
  severity: Severity;
  subjects: number;
  new: number;
  recurring: number;
  resolved: number;
  /** Up to five subjects, highest severity first; empty when the rule is saturated. */
  top: string[];
  population: { affected: number; of: number; unit: string } | null;
  /** Fires for at least the configured share of its population: said in one sentence, not listed. */
  saturated: boolean;
  /** What to tune when saturated: the config keys of its thresholds. */
  tune: string[];
  action: string;
  doc: string;
}

export interface Saturation {
  saturationShare: number;
  minPopulation: number;
}

/** A finding's identity across periods: its rule and its subject (the id an exception would name). */
export const findingIdentity = (f: Finding) => `${f.ruleId}\u0000${f.subjectId ?? f.subjectName ?? ''}`;

/** What the rule table and the attention block weigh: findings that count (not excepted), above info. */
export const weighed = (findings: Finding[]) => findings.filter((f) => !f.excepted && f.severity !== 'info');

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** "detections.justificationMinLength (10)" → "detections.justificationMinLength". */
export const configKeys = (thresholds: string[]) =>
  [...new Set(thresholds.flatMap((t) => t.split(/[;,]\s*/)).map((t) => t.replace(/\s*\(.*\)\s*$/, '').trim()))].filter(
    (k) => /^[a-zA-Z][\w.]*$/.test(k),
  );

export function findingsByRule(
  now: Finding[],
  before: Finding[],
  rules: Map<string, RuleInfo>,
  populations: Map<string, Population>,
  o: Saturation,
): RuleRow[] {
  const cur = weighed(now);
  const prev = weighed(before);
  const prevIds = new Set(prev.map(findingIdentity));
  const curIds = new Set(cur.map(findingIdentity));
  const ids = [...new Set([...cur, ...prev].map((f) => f.ruleId))];
  return ids
    .map((id): RuleRow => {
      const mine = cur.filter((f) => f.ruleId === id);
      const theirs = prev.filter((f) => f.ruleId === id);
      const subjects = [...new Set(mine.map(findingIdentity))];
      const rule = rules.get(id);
      const pop = populations.get(id);
      const population = pop ? { affected: subjects.length, of: pop.population, unit: pop.unit } : null;
      const saturated =
        population !== null &&
        population.of >= o.minPopulation &&
        population.affected >= o.saturationShare * population.of;
      const sorted = [...mine].sort((a, b) => rank(b.severity) - rank(a.severity));
      const severity = (mine.length ? sorted : theirs).reduce<Severity>(
        (s, f) => (rank(f.severity) > rank(s) ? f.severity : s),
        'info',
      );
      return {
        ruleId: id,
        title: rule?.title ?? id,
        severity,
        subjects: subjects.length,
        new: subjects.filter((s) => !prevIds.has(s)).length,
        recurring: subjects.filter((s) => prevIds.has(s)).length,
        resolved: [...new Set(theirs.map(findingIdentity))].filter((s) => !curIds.has(s)).length,
        top: saturated ? [] : [...new Set(sorted.map((f) => f.subjectName ?? f.subjectId ?? ''))].slice(0, 5),
        population,
        saturated,
        tune: configKeys(rule?.thresholds ?? []),
        action: rule?.action ?? '',
        doc: rule?.doc ?? '',
      };
    })
    .sort(
      (a, b) =>
        Number(b.subjects > 0) - Number(a.subjects > 0) ||
        rank(b.severity) - rank(a.severity) ||
        b.new - a.new ||
        b.subjects - a.subjects ||
        a.ruleId.localeCompare(b.ruleId),
    );
}

/** The sentence a saturated rule gets instead of its subjects. */
export function saturationSentence(r: RuleRow): string {
  if (!r.population) return '';
  const tune = r.tune.length ? `tune ${r.tune.map((k) => `\`${k}\``).join(', ')}` : "review the rule's settings";
  return `fires for ${r.population.affected} of ${r.population.of} ${r.population.unit}: ${tune}`;
}
