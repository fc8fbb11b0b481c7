// The report as one self-contained HTML file: inline CSS and SVG charts, no network; every value escaped.
import type { ReportModel } from './report.js';
import { planesHtml } from './planes-section.js';
import { changes, excepted, hoursCell, lowerBoundNote, ruleTrend } from './render-common.js';
import { asText } from './neutralise.js';
import { appendixHtml, askedHtml, attentionHtml, rulesHtml } from './render-findings.js';

export function escapeHtml(v: unknown): string {
  return asText(v).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export function renderHtml(m: ReportModel): string {
  const bound = lowerBoundNote(m.tables.activeHours);
  const t = (headers: string[], rows: unknown[][], cls = '') =>
    `<table class="${cls}"><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const chart = (id: string, title: string, table: string) =>
    `<section class="chart"><h3>${escapeHtml(title)}</h3><figure data-chart="${id}">${m.charts[id] ?? ''}</figure><details><summary>The data behind it</summary>${table}</details></section>`;
  const a = m.metrics;
  const ch = changes(m);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(m.title)}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a202c;margin:0 auto;max-width:1100px;padding:16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px} h3{font-size:15px;margin:12px 0 4px}
.meta{color:#4a5568;font-size:13px} .stale{background:#fffaf0;border-left:4px solid #dd6b20;padding:8px 12px;margin:12px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px;margin:12px 0}
.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px 12px} .card .v{font-size:13px;color:#2d3748} .card .n{font-weight:600}
.pass{border-left:5px solid #38a169} .warn{border-left:5px solid #d69e2e} .fail{border-left:5px solid #e53e3e}
.badge{font-size:12px;font-weight:700;text-transform:uppercase} .pass .badge{color:#276749} .warn .badge{color:#975a16} .fail .badge{color:#9b2c2c}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0} th,td{border-bottom:1px solid #edf2f7;padding:4px 6px;text-align:left;vertical-align:top} th{background:#f7fafc}
figure{margin:0;overflow-x:auto} figure svg{max-width:100%;height:auto} .chart{margin-bottom:18px}
.sev-critical,.sev-high{color:#9b2c2c;font-weight:600} .sev-medium{color:#975a16}
.attention{border:2px solid #e53e3e;border-radius:8px;padding:4px 14px 8px;margin:10px 0;background:#fff5f5} .attention h2{border:0;margin:6px 0 4px}
.attention ol{margin:4px 0;padding-left:22px} .attention li{margin:4px 0} .act{color:#2d3748;font-size:13px}
.lvl{font-size:11px;font-weight:700;text-transform:uppercase;padding:0 4px;border-radius:3px;background:#edf2f7} .lvl-critical,.lvl-fail{background:#742a2a;color:#fff} .lvl-high{background:#e53e3e;color:#fff}
@media print{details{display:block} details>summary{display:none} .chart{break-inside:avoid} body{max-width:none}}
</style></head><body>
<h1>${escapeHtml(m.title)}</h1>
<div class="meta">Period ${escapeHtml(m.period.from)} → ${escapeHtml(m.period.to)} (UTC, end exclusive), as of ${escapeHtml(m.period.asOf)}. Generated ${escapeHtml(m.generatedAt)}${m.pseudonymized ? '. People are pseudonymized.' : '.'}</div>
${m.staleness.map((s) => `<div class="stale">${escapeHtml(s)}</div>`).join('')}
${attentionHtml(m, escapeHtml)}
<h2>Targets</h2>
<div class="cards">${m.targets.map((x) => `<div class="card ${x.status}" data-target="${escapeHtml(x.id)}" data-status="${x.status}"><div class="badge">${x.status}</div><div class="n">${escapeHtml(x.name)}</div><div class="v">${escapeHtml(x.value)}</div><div class="meta">target ${escapeHtml(x.target)}${x.note ? ` · ${escapeHtml(x.note)}` : ''}</div></div>`).join('')}</div>
<div class="meta">Headline: <span data-metric="tta-self-count">${a.timeToActivate.self.count}</span> self-activations, <span data-metric="tta-approval-count">${a.timeToActivate.approval.count}</span> with approval; approved <span data-metric="approved">${a.approvals.approved}</span>, denied <span data-metric="denied">${a.approvals.denied}</span>; standing <span data-metric="standing">${a.standingAssignments.excludingBreakGlass}</span>.</div>
${
  ch.length
    ? `<h2>Change since ${escapeHtml(m.previous.at(-1)!.name)}</h2>${t(
        ['metric', 'this period', 'previous', 'change'],
        ch.map((c) => [c.metric, c.now, c.before, c.change]),
      )}`
    : ''
}
<h2>Time to activate</h2>
${chart(
  'tta',
  'Distribution, self-service vs with approval',
  t(
    ['request', 'who', 'role', 'route', 'minutes', 'approver'],
    m.tables.slowestActivations.map((r) => [r.requestKey, r.principal, r.role, r.route, r.minutes, r.approver ?? '']),
  ),
)}
<h2>Approvals</h2>
${chart(
  'outcomes',
  'Outcomes per role',
  t(
    ['role', 'outcome', 'requests'],
    m.tables.outcomes.map((r) => [r.role, r.outcome, r.requests]),
  ),
)}
${t(
  ['role', 'approved', 'denied', 'approval rate', 'flagged'],
  a.approvals.byRole.map((r) => [
    r.roleName ?? r.roleId,
    r.approved,
    r.denied,
    r.approvalRate === null ? '' : `${Math.round(r.approvalRate * 1000) / 10}%`,
    r.flagged ? 'high denial rate' : '',
  ]),
)}
<h2>Active hours</h2>
${chart(
  'activeHours',
  'Per admin, top',
  t(
    ['admin', 'month', 'activations', 'hours'],
    m.tables.activeHours.map((r) => [r.admin, r.month, r.activations, hoursCell(r)]),
  ),
)}${bound ? `\n<p class="note">${escapeHtml(bound)}</p>` : ''}
<h2>Standing access</h2>
${chart(
  'standing',
  'At each period end',
  t(
    ['who', 'type', 'role', 'through group', 'since', 'break-glass', 'how'],
    a.standingAssignments.items.map((i) => [
      i.principalUpn ?? i.principalId,
      i.principalType ?? '',
      i.roleName ?? i.roleId,
      i.viaGroupName ?? i.viaGroupId ?? '',
      i.since ?? '',
      i.breakGlass ? 'yes' : '',
      i.viaPim === null ? 'unknown' : i.viaPim ? 'via PIM' : 'outside PIM',
    ]),
  ),
)}
${planesHtml(m, escapeHtml, t)}<h2>Findings</h2>
${chart('findings', 'By severity, per period', t(['period', ...['critical', 'high', 'medium', 'low', 'info']], [...m.previous.map((p) => [p.label, p.findings.critical, p.findings.high, p.findings.medium, p.findings.low, p.findings.info]), ['this period', m.findings.summary.critical, m.findings.summary.high, m.findings.summary.medium, m.findings.summary.low, m.findings.summary.info]]))}
${ruleTrend(m).length ? `<h3>Per rule, per period</h3>${t(['rule', ...m.previous.map((p) => p.label.slice(0, 7)), 'this period'], ruleTrend(m))}` : ''}
${rulesHtml(m, escapeHtml, t)}
${askedHtml(m, escapeHtml)}
${excepted(m).length ? `<h3>Excepted findings (accepted until they expire; they do not count)</h3>${t(['severity', 'rule', 'subject', 'reason', 'owner', 'expires', 'detail'], excepted(m))}` : ''}
<h2>Data coverage</h2>
${t(
  ['source', 'files', 'records', 'first record', 'last record', 'last landed', 'age at as-of (h)'],
  m.coverage.map((c) => [
    c.source,
    c.files,
    c.records,
    c.firstEvent ?? '',
    c.lastEvent ?? '',
    c.lastLanded ?? '',
    c.ageHours ?? '',
  ]),
)}
<div class="meta">Standing access: ${escapeHtml(a.standingAssignments.basis === 'snapshot' ? `snapshot of ${a.standingAssignments.snapshotAt}` : `audit replay, blind before ${a.standingAssignments.visibleFrom}`)}.</div>
${appendixHtml(m, escapeHtml)}
</body></html>
`;
}
