// The parts of the report a reader acts on, in HTML and Markdown: the attention block at the top, the
// findings by rule, and the appendix listing every finding. Every value escaped by the caller's
// escaper (escapeHtml for HTML, markdownCell for Markdown).
import type { ReportModel } from './report.js';
import { saturationSentence, type RuleRow } from './findings-by-rule.js';

/** Who a rule fires for, in one cell: its top subjects, or the sentence saying it fires for most of them. */
export function subjectsCell(r: RuleRow): string {
  if (r.saturated) return saturationSentence(r);
  if (!r.subjects) return 'none now';
  const more = r.subjects - r.top.length;
  return `${r.top.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

const visible = (m: ReportModel) => m.findings.items.filter((f) => f.severity !== 'info' && !f.excepted);

type Esc = (v: unknown) => string;

export function attentionHtml(m: ReportModel, esc: Esc): string {
  const { items, more } = m.attention;
  const list = items.length
    ? `<ol>${items
        .map(
          (i) =>
            `<li data-kind="${esc(i.kind)}" data-level="${esc(i.level)}"${i.ruleId ? ` data-rule="${esc(i.ruleId)}"` : ''}${i.targetId ? ` data-target-id="${esc(i.targetId)}"` : ''}><b class="lvl-${esc(i.level)}-text">${esc(i.headline)}</b>: ${esc(i.detail)}<div class="act">Do: ${esc(i.action)}</div></li>`,
        )
        .join('')}</ol>`
    : `<p>Nothing new at critical or high, no target got worse and no exception is about to expire since ${esc(m.findings.comparedWith)}.</p>`;
  return `<section id="attention" class="attention" data-attention><h2>Needs attention</h2>${list}${more ? `<div class="meta">${more} more: see Findings by rule.</div>` : ''}</section>`;
}

export function rulesHtml(m: ReportModel, esc: Esc, table: (h: string[], rows: unknown[][]) => string): string {
  const rows = m.findings.rules.map((r) => [
    r.severity,
    r.ruleId,
    r.subjects,
    r.new,
    r.recurring,
    r.resolved,
    subjectsCell(r),
    r.action,
  ]);
  return `<h2 id="findings-by-rule">Findings by rule</h2><div class="meta">Above info and not excepted; new, recurring and resolved against ${esc(m.findings.comparedWith)} (a finding is its rule and its subject). Every finding: the appendix and the CSV beside this report.</div>${table(['severity', 'rule', 'subjects', 'new', 'recurring', 'resolved', 'who', 'what to do'], rows)}`;
}

export function appendixHtml(m: ReportModel, esc: Esc): string {
  return `<h2 id="appendix">Appendix: every finding</h2><table class="appendix"><thead><tr><th>severity</th><th>rule</th><th>subject</th><th>detail</th></tr></thead><tbody>${visible(
    m,
  )
    .map(
      (f) =>
        `<tr><td class="sev-${esc(f.severity)}">${esc(f.severity)}</td><td>${esc(f.ruleId)}</td><td>${esc(f.subjectName ?? f.subjectId)}</td><td>${esc(f.detail)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

export function attentionMd(m: ReportModel, esc: Esc): string[] {
  const { items, more } = m.attention;
  const out = ['## Needs attention', ''];
  if (!items.length)
    out.push(
      `Nothing new at critical or high, no target got worse and no exception is about to expire since ${esc(m.findings.comparedWith)}.`,
    );
  items.forEach((i, n) => out.push(`${n + 1}. **${esc(i.headline)}**: ${esc(i.detail)}`, `   Do: ${esc(i.action)}`));
  if (more) out.push('', `${more} more: see Findings by rule.`);
  out.push('');
  return out;
}

export function rulesMd(m: ReportModel, table: (h: string[], rows: unknown[][]) => string, esc: Esc): string[] {
  return [
    '## Findings by rule',
    '',
    `Above info and not excepted; new, recurring and resolved against ${esc(m.findings.comparedWith)}. Every finding: the appendix and the CSV beside this report.`,
    '',
    table(
      ['severity', 'rule', 'subjects', 'new', 'recurring', 'resolved', 'who', 'what to do'],
      m.findings.rules.map((r) => [
        r.severity,
        r.ruleId,
        r.subjects,
        r.new,
        r.recurring,
        r.resolved,
        subjectsCell(r),
        r.action,
      ]),
    ),
    '',
  ];
}

export function appendixMd(m: ReportModel, table: (h: string[], rows: unknown[][]) => string): string[] {
  return [
    '## Appendix: every finding',
    '',
    table(
      ['severity', 'rule', 'subject', 'detail'],
      visible(m).map((f) => [f.severity, f.ruleId, f.subjectName ?? f.subjectId ?? '', f.detail]),
    ),
    '',
  ];
}

const minutes = (s: number | null) => (s === null ? '—' : `${Math.round(s / 6) / 10} min`);

/** The four asked-for lines: what expires, denials not applied, licences, grant to first action. */
export function askedLines(m: ReportModel): { id: string; text: string }[] {
  const a = m.asked;
  const f = a.firstAction;
  const total = a.licences.find((l) => l.category.startsWith('total'))?.people ?? 0;
  return [
    {
      id: 'expiring',
      text: `${a.expiring.length} eligible or active assignment(s) end in the next ${a.expiringDays} days${
        a.expiring.length
          ? `: ${a.expiring
              .slice(0, 5)
              .map((e) => `${e.principal} (${e.role}, ${e.kind}, ${e.daysLeft} d)`)
              .join(', ')}${a.expiring.length > 5 ? ` and ${a.expiring.length - 5} more` : ''}`
          : ''
      }.`,
    },
    {
      id: 'denials-not-applied',
      text: `${a.denialsNotApplied.length} access-review denial(s) not applied (the assignment is still there)${
        a.denialsNotApplied.length
          ? `: ${a.denialsNotApplied
              .slice(0, 5)
              .map((d) => `${d.principal} (${d.role}, ${d.review}, ${d.daysSince} d ago)`)
              .join(', ')}`
          : ''
      }.`,
    },
    {
      id: 'licences',
      text: `${total} people need a Microsoft Entra ID P2 or ID Governance licence for PIM (${a.licences
        .filter((l) => !l.category.startsWith('total'))
        .map((l) => `${l.category} ${l.people}`)
        .join(', ')}; approvers as seen deciding in the period).`,
    },
    {
      id: 'first-action',
      text: `Grant to first action with the role: p50 ${minutes(f.p50Seconds)}, p90 ${minutes(f.p90Seconds)} over ${f.withAction} of ${f.activations} activations (an upper bound on the activation delay people report).`,
    },
  ];
}

export function askedHtml(m: ReportModel, esc: Esc): string {
  return `<h2 id="asked">Asked for</h2><ul class="asked">${askedLines(m)
    .map((l) => `<li data-asked="${esc(l.id)}">${esc(l.text)}</li>`)
    .join('')}</ul>`;
}

export function askedMd(m: ReportModel, esc: Esc): string[] {
  return ['## Asked for', '', ...askedLines(m).map((l) => `- ${esc(l.text)}`), ''];
}
