// What needs attention, first: at most a handful of items a reader acts on before reading further —
// new critical and high findings, targets that got worse since the previous period, exceptions about
// to expire — each with the one sentence of action kept in its rule's header (or its target's).
// Pure: findings, targets and rule rows in; items out, in the order they are shown.
import type { Finding } from './checks.js';
import { findingIdentity, weighed, type RuleInfo, type RuleRow } from './findings-by-rule.js';

type Status = 'pass' | 'warn' | 'fail';
interface TargetLike {
  id: string;
  name: string;
  status: Status;
  value: string;
  action: string;
}

export interface AttentionItem {
  kind: 'finding' | 'target' | 'exception';
  /** critical / high for findings, the target's new status, 'expiring' for exceptions. */
  level: string;
  ruleId: string | null;
  targetId: string | null;
  headline: string;
  detail: string;
  action: string;
}

export const ATTENTION_MAX = 5;
const STATUS_RANK: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };

export function attentionItems(
  now: Finding[],
  before: Finding[],
  rows: RuleRow[],
  rules: Map<string, RuleInfo>,
  targets: { now: TargetLike[]; before: TargetLike[] | null },
  max = ATTENTION_MAX,
): { items: AttentionItem[]; more: number } {
  const prevIds = new Set(weighed(before).map(findingIdentity));
  const fresh = weighed(now).filter((f) => !prevIds.has(findingIdentity(f)));
  const out: AttentionItem[] = [];
  for (const level of ['critical', 'high'] as const) {
    // One item per rule: a rule that newly fires for three accounts is one thing to act on.
    for (const r of rows) {
      const mine = fresh.filter((f) => f.ruleId === r.ruleId && f.severity === level);
      if (!mine.length) continue;
      const names = [...new Set(mine.map((f) => f.subjectName ?? f.subjectId ?? ''))];
      out.push({
        kind: 'finding',
        level,
        ruleId: r.ruleId,
        targetId: null,
        headline: `New ${level}: ${r.title}`,
        detail:
          mine.length === 1
            ? mine[0].detail
            : `${mine.length} new: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`,
        action: r.action,
      });
    }
  }
  // The findings target only restates the findings above; the other targets say something they do not.
  const was = new Map((targets.before ?? []).map((t) => [t.id, t.status]));
  for (const t of targets.now) {
    const prev = was.get(t.id);
    if (t.id === 'findings' || prev === undefined || STATUS_RANK[t.status] <= STATUS_RANK[prev]) continue;
    out.push({
      kind: 'target',
      level: t.status,
      ruleId: null,
      targetId: t.id,
      headline: `${t.name}: ${prev} → ${t.status}`,
      detail: t.value,
      action: t.action,
    });
  }
  for (const f of now.filter((x) => x.ruleId === 'exception_expiring' && !x.excepted)) {
    out.push({
      kind: 'exception',
      level: 'expiring',
      ruleId: f.ruleId,
      targetId: null,
      headline: `Exception expiring: ${f.subjectName ?? f.subjectId ?? ''}`,
      detail: f.detail,
      action: rules.get(f.ruleId)?.action ?? '',
    });
  }
  return { items: out.slice(0, max), more: Math.max(0, out.length - max) };
}
