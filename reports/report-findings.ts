// The report's findings section, from the store: each rule's header (title, action, thresholds) and
// the size of its population for the period, then the pure grouping in findings-by-rule.ts.
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { allQueries, pickParams, runQuery } from '../queries/registry.js';
import { configParams, type ParamPeriod } from '../queries/params.js';
import type { Finding } from './checks.js';
import { asText } from '../core/text.js';
import { findingsByRule, type Population, type RuleInfo, type RuleRow } from './findings-by-rule.js';

export function ruleInfos(): Map<string, RuleInfo> {
  const out = new Map<string, RuleInfo>();
  for (const q of allQueries().values())
    if (q.rule)
      out.set(q.rule.id, {
        id: q.rule.id,
        title: q.title,
        action: q.rule.action,
        thresholds: q.rule.thresholds,
        doc: q.rule.doc,
      });
  return out;
}

/** Each rule's population in the period, for the rules whose header names a population query. */
export async function populations(db: Db, config: Config, period: ParamPeriod): Promise<Map<string, Population>> {
  const params = configParams(config, period);
  const out = new Map<string, Population>();
  for (const q of allQueries().values()) {
    const id = q.rule?.population;
    if (!id) continue;
    const [row] = await runQuery(db, id, pickParams(id, params));
    out.set(q.rule!.id, { population: Number(row?.population ?? 0), unit: asText(row?.unit ?? 'subjects') });
  }
  return out;
}

export async function rulesTable(
  db: Db,
  config: Config,
  period: ParamPeriod,
  now: Finding[],
  before: Finding[],
): Promise<RuleRow[]> {
  return findingsByRule(now, before, ruleInfos(), await populations(db, config, period), config.report);
}
