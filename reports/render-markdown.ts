// The report as Markdown (GitHub, Azure DevOps, Teams): every cell through markdownCell.
import type { ReportModel } from './report.js';
import { planesMarkdown } from './planes-section.js';
import { asText, markdownCell } from './neutralise.js';
import { ICON, changes, excepted, hoursCell, lowerBoundNote, ruleTrend } from './render-common.js';
import { appendixMd, askedMd, attentionMd, rulesMd } from './render-findings.js';

function escapeMd(v: unknown): string {
  return markdownCell(asText(v));
}

export function renderMarkdown(m: ReportModel): string {
  const t = (headers: string[], rows: unknown[][]) =>
    [
      `| ${headers.map(escapeMd).join(' | ')} |`,
      `|${headers.map(() => ' --- ').join('|')}|`,
      ...rows.map((r) => `| ${r.map(escapeMd).join(' | ')} |`),
    ].join('\n');
  const a = m.metrics;
  const out: string[] = [
    `# ${escapeMd(m.title)}`,
    '',
    `Period ${m.period.from} → ${m.period.to} (UTC, end exclusive), as of ${m.period.asOf}.${m.pseudonymized ? ' People are pseudonymized.' : ''}`,
    '',
  ];
  for (const s of m.staleness) out.push(`> ⚠️ ${escapeMd(s)}`, '');
  out.push(...attentionMd(m, escapeMd));
  out.push(
    '## Targets',
    '',
    t(
      ['', 'target', 'measured', 'goal', 'note'],
      m.targets.map((x) => [`${ICON[x.status]} ${x.status}`, x.name, x.value, x.target, x.note ?? '']),
    ),
    '',
  );
  const ch = changes(m);
  if (ch.length)
    out.push(
      `## Change since ${escapeMd(m.previous.at(-1)!.name)}`,
      '',
      t(
        ['metric', 'this period', 'previous', 'change'],
        ch.map((c) => [c.metric, c.now, c.before, c.change]),
      ),
      '',
    );
  out.push(
    '## Slowest activations',
    '',
    t(
      ['who', 'role', 'route', 'minutes', 'approver'],
      m.tables.slowestActivations.slice(0, 10).map((r) => [r.principal, r.role, r.route, r.minutes, r.approver ?? '']),
    ),
    '',
  );
  out.push(
    '## Approvals by role',
    '',
    t(
      ['role', 'approved', 'denied', 'rate', 'flagged'],
      a.approvals.byRole.map((r) => [
        r.roleName ?? r.roleId,
        r.approved,
        r.denied,
        r.approvalRate === null ? '' : `${Math.round(r.approvalRate * 1000) / 10}%`,
        r.flagged ? '⚑' : '',
      ]),
    ),
    '',
  );
  out.push(
    '## Active hours (top 10)',
    '',
    t(
      ['admin', 'month', 'activations', 'hours'],
      m.tables.activeHours.slice(0, 10).map((r) => [r.admin, r.month, r.activations, hoursCell(r)]),
    ),
    '',
  );
  const bound = lowerBoundNote(m.tables.activeHours);
  if (bound) out.push(bound, '');
  out.push(
    '## Standing access',
    '',
    t(
      ['who', 'role', 'through group', 'since', 'break-glass', 'how'],
      a.standingAssignments.items.map((i) => [
        i.principalUpn ?? i.principalId,
        i.roleName ?? i.roleId,
        i.viaGroupName ?? i.viaGroupId ?? '',
        i.since ?? '',
        i.breakGlass ? 'yes' : '',
        i.viaPim === null ? 'unknown' : i.viaPim ? 'via PIM' : 'outside PIM',
      ]),
    ),
    '',
  );
  out.push(...planesMarkdown(m, escapeMd, t));
  const trend = ruleTrend(m);
  if (trend.length)
    out.push(
      '## Findings per rule, per period',
      '',
      t(['rule', ...m.previous.map((p) => p.label.slice(0, 7)), 'this period'], trend),
      '',
    );
  out.push(...rulesMd(m, t, escapeMd));
  out.push(...askedMd(m, escapeMd));
  if (excepted(m).length)
    out.push(
      '## Excepted findings',
      '',
      'Accepted by a config exception until it expires; they do not count toward the targets or a failure.',
      '',
      t(['severity', 'rule', 'subject', 'reason', 'owner', 'expires', 'detail'], excepted(m)),
      '',
    );
  out.push(
    '## Data coverage',
    '',
    t(
      ['source', 'files', 'records', 'first record', 'last record', 'age (h)'],
      m.coverage.map((c) => [c.source, c.files, c.records, c.firstEvent ?? '', c.lastEvent ?? '', c.ageHours ?? '']),
    ),
    '',
  );
  out.push(...appendixMd(m, t));
  return out.join('\n') + '\n';
}
