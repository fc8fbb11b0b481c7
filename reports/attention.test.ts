import { describe, it, expect } from 'vitest';
import type { Finding } from './checks.js';
import { configKeys, findingsByRule, saturationSentence, type RuleInfo } from './findings-by-rule.js';
import { attentionItems } from './attention.js';

const f = (
  ruleId: string,
  subjectId: string,
  severity: Finding['severity'] = 'low',
  over: Partial<Finding> = {},
): Finding => ({
  ruleId,
  tenantId: null,
  severity,
  subjectType: 'principal',
  subjectId,
  subjectName: `${subjectId}@x.example`,
  observed: null,
  threshold: null,
  detail: `${ruleId} fired for ${subjectId}`,
  firstSeen: null,
  lastSeen: null,
  excepted: false,
  exception: null,
  ...over,
});

const info = (id: string, thresholds: string[] = []): RuleInfo => ({
  id,
  title: `Title of ${id}`,
  action: `Act on ${id}.`,
  thresholds,
  doc: `docs/rules.md#${id}`,
});
const rules = new Map(
  [
    info('after_hours_activation', ['detections.businessHours']),
    info('short_justification', ['detections.justificationMinLength (10)']),
    info('break_glass_sign_in', ['breakGlassAccounts']),
    info('self_approval'),
    info('exception_expiring', ['checks.exceptionWarningDays (14)']),
  ].map((r) => [r.id, r]),
);
const sat = { saturationShare: 0.5, minPopulation: 5 };

describe('findings by rule', () => {
  it.each([
    {
      name: 'new, recurring and resolved by rule id + subject id',
      now: [f('short_justification', 'a'), f('short_justification', 'b')],
      before: [f('short_justification', 'b'), f('short_justification', 'c')],
      want: { subjects: 2, new: 1, recurring: 1, resolved: 1 },
    },
    {
      name: 'the same subject under another rule is another finding',
      now: [f('short_justification', 'a')],
      before: [f('self_approval', 'a', 'high')],
      want: { subjects: 1, new: 1, recurring: 0, resolved: 0 },
    },
    {
      name: 'info and excepted findings are not weighed',
      now: [
        f('short_justification', 'a'),
        f('short_justification', 'b', 'info'),
        f('short_justification', 'c', 'low', { excepted: true }),
      ],
      before: [],
      want: { subjects: 1, new: 1, recurring: 0, resolved: 0 },
    },
  ])('$name', ({ now, before, want }) => {
    const [row] = findingsByRule(now, before, rules, new Map(), sat).filter((r) => r.ruleId === 'short_justification');
    expect({ subjects: row.subjects, new: row.new, recurring: row.recurring, resolved: row.resolved }).toEqual(want);
  });

  it('lists at most five subjects, most severe first, and sorts rules by severity then news', () => {
    const now = [...'abcdef'.split('').map((s) => f('short_justification', s)), f('self_approval', 'z', 'high')];
    const rows = findingsByRule(now, [], rules, new Map(), sat);
    expect(rows.map((r) => r.ruleId)).toEqual(['self_approval', 'short_justification']);
    expect(rows[1].top).toHaveLength(5);
    expect(rows[1].saturated).toBe(false);
  });

  it.each([
    { affected: 40, of: 41, share: 0.5, min: 5, saturated: true },
    { affected: 2, of: 41, share: 0.5, min: 5, saturated: false },
    { affected: 3, of: 6, share: 0.5, min: 5, saturated: true },
    { affected: 3, of: 6, share: 0.6, min: 5, saturated: false },
    // Four of four admins: too few to call it a rule to tune.
    { affected: 4, of: 4, share: 0.5, min: 5, saturated: false },
  ])('$affected of $of at share $share (min $min): saturated $saturated', ({ affected, of, share, min, saturated }) => {
    const now = Array.from({ length: affected }, (_, i) => f('after_hours_activation', `p${i}`));
    const pops = new Map([['after_hours_activation', { population: of, unit: 'admins' }]]);
    const [row] = findingsByRule(now, [], rules, pops, { saturationShare: share, minPopulation: min });
    expect(row.saturated).toBe(saturated);
    expect(row.top).toHaveLength(saturated ? 0 : Math.min(5, affected));
    if (saturated)
      expect(saturationSentence(row)).toBe(`fires for ${affected} of ${of} admins: tune \`detections.businessHours\``);
  });

  it('names the config keys to tune without their defaults', () => {
    expect(configKeys(['detections.justificationMinLength (10)', 'breakGlassAccounts', 'exceptions'])).toEqual([
      'detections.justificationMinLength',
      'breakGlassAccounts',
      'exceptions',
    ]);
  });
});

describe('attention block', () => {
  const target = (id: string, status: 'pass' | 'warn' | 'fail') => ({
    id,
    name: `Target ${id}`,
    status,
    value: 'v',
    action: `Fix ${id}.`,
  });

  it('puts new critical first, then new high, then worse targets, then expiring exceptions, at most five', () => {
    const now = [
      f('self_approval', 'h1', 'high'),
      f('break_glass_sign_in', 'bg', 'critical'),
      f('self_approval', 'old', 'high'),
      f('exception_expiring', 'x|y', 'info'),
    ];
    const before = [f('self_approval', 'old', 'high')];
    const rows = findingsByRule(now, before, rules, new Map(), sat);
    const { items, more } = attentionItems(now, before, rows, rules, {
      now: [target('tta-self', 'fail'), target('standing', 'fail'), target('findings', 'fail')],
      before: [target('tta-self', 'pass'), target('standing', 'fail'), target('findings', 'pass')],
    });
    expect(items.map((i) => [i.kind, i.level, i.ruleId ?? i.targetId])).toEqual([
      ['finding', 'critical', 'break_glass_sign_in'],
      ['finding', 'high', 'self_approval'],
      ['target', 'fail', 'tta-self'],
      ['exception', 'expiring', 'exception_expiring'],
    ]);
    expect(more).toBe(0);
    expect(items[0].action).toBe('Act on break_glass_sign_in.');
    expect(items[1].detail).toBe('self_approval fired for h1');
    expect(items[2].action).toBe('Fix tta-self.');
    expect(items[3].action).toBe('Act on exception_expiring.');
  });

  it('groups one rule into one item, and counts what does not fit', () => {
    const now = [
      ...['a', 'b', 'c', 'd'].map((s) => f('self_approval', s, 'high')),
      ...['p', 'q', 'r', 's', 't', 'u'].map((s) => f('exception_expiring', s, 'info')),
    ];
    const rows = findingsByRule(now, [], rules, new Map(), sat);
    const { items, more } = attentionItems(now, [], rows, rules, { now: [], before: null });
    expect(items).toHaveLength(5);
    expect(more).toBe(2);
    expect(items[0].detail).toBe('4 new: a@x.example, b@x.example, c@x.example and 1 more');
  });

  it('says nothing of findings that recur or of targets that did not get worse', () => {
    const now = [f('break_glass_sign_in', 'bg', 'critical')];
    const rows = findingsByRule(now, now, rules, new Map(), sat);
    expect(
      attentionItems(now, now, rows, rules, {
        now: [target('tta-self', 'warn')],
        before: [target('tta-self', 'fail')],
      }).items,
    ).toEqual([]);
  });
});
