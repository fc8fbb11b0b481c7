// The finding contract: the columns every check returns, in this order, with these types. It is
// declared here once and applied by the registry to every check_*.sql, rather than as a DuckDB view
// or table macro: a macro cannot take a query as its argument, a view cannot be told which check it
// wraps, and both would live in the store's schema (transform/), so a store built by an older
// version would lack them. Applied here, `pimops query check_…`, `checks`, the report, the exports
// and the bench all get the same columns from the same place.
import { PimopsError } from '../core/errors.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_COLUMNS = [
  {
    name: 'rule_id',
    type: 'VARCHAR',
    meaning: 'the rule: its check file name without check_ (docs/rules.md#<rule_id>)',
  },
  { name: 'tenant_id', type: 'VARCHAR', meaning: 'the tenant the reader answered for' },
  { name: 'severity', type: 'VARCHAR', meaning: 'info, low, medium, high or critical' },
  { name: 'subject_type', type: 'VARCHAR', meaning: 'what the finding is about: account, assignment, role, actor, …' },
  { name: 'subject_id', type: 'VARCHAR', meaning: 'its id (what an exception names)' },
  { name: 'subject_name', type: 'VARCHAR', meaning: 'its name for people' },
  { name: 'observed', type: 'VARCHAR', meaning: 'what was seen' },
  { name: 'threshold', type: 'VARCHAR', meaning: 'what was expected' },
  { name: 'detail', type: 'VARCHAR', meaning: 'one sentence for the reader' },
  { name: 'first_seen', type: 'TIMESTAMP WITH TIME ZONE', meaning: 'earliest evidence (UTC)' },
  { name: 'last_seen', type: 'TIMESTAMP WITH TIME ZONE', meaning: 'latest evidence (UTC)' },
] as const;

/** The columns a check's own SQL selects: the contract less the two the registry supplies. */
export const CHECK_COLUMNS = FINDING_COLUMNS.slice(2).map((c) => c.name);

export const ruleIdOf = (queryId: string) => queryId.replace(/^check_/, '');

/**
 * A check's SQL wrapped into the contract. The rule id comes from the file name, so no check can
 * claim another's; columns are taken by name, so a check missing one fails at bind time.
 */
export function findingSql(queryId: string, sql: string): string {
  const rule = ruleIdOf(queryId);
  if (!/^[a-z0-9_]+$/.test(rule))
    throw new PimopsError('internal', `check '${queryId}': a rule id is lower-case letters, digits and _`);
  const cast = (name: string, type: string) =>
    `CAST(finding.${name} AS ${type === 'VARCHAR' ? 'VARCHAR' : 'TIMESTAMPTZ'}) AS ${name}`;
  const cols = FINDING_COLUMNS.slice(2).map((c) => cast(c.name, c.type));
  return `SELECT '${rule}' AS rule_id, NULL::VARCHAR AS tenant_id, ${cols.join(', ')}\nFROM (\n${sql}\n) AS finding`;
}
