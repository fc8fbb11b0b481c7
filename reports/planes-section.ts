// The report's section for each of the other PIM planes (issue 23): PIM for Groups and Azure
// resources, each with its standing access and its findings, beside the Entra-role sections. Built
// from the model alone; every cell goes through the caller's escaping (HTML or Markdown).
import type { ReportModel } from './report.js';
import type { Finding } from './checks.js';

export const OTHER_PLANES = [
  ['group', 'PIM for Groups'],
  ['azure_resource', 'Azure resources'],
] as const;

/** Which plane a finding is about: the other planes' subjects name it (`group:…`, `principal|azure_resource:…`). */
export function planeOfFinding(f: Pick<Finding, 'subjectId'>): string {
  return /(^|\|)(group|azure_resource):/.exec(f.subjectId ?? '')?.[2] ?? 'entra_role';
}

type Table = (headers: string[], rows: unknown[][]) => string;

interface PlaneView {
  title: string;
  summary: string;
  standing: unknown[][];
  findings: unknown[][];
}

const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

function views(m: ReportModel): PlaneView[] {
  return OTHER_PLANES.map(([plane, title]) => {
    // A plane with nothing in the period or the snapshot has no entry.
    const p = m.metrics.byPlane[plane] as ReportModel['metrics']['byPlane'][string] | undefined;
    const items = p?.standingItems ?? [];
    const findings = m.findings.items
      .filter((f) => planeOfFinding(f) === plane && !f.excepted)
      .sort((a, b) => (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9) || a.ruleId.localeCompare(b.ruleId));
    return {
      title,
      summary: `${items.length} standing assignment${items.length === 1 ? '' : 's'} (target 0), ${findings.length} finding${findings.length === 1 ? '' : 's'}.`,
      standing: items.map((i) => [
        i.principalUpn ?? i.principalId,
        i.principalType ?? '',
        i.roleName ?? i.roleId,
        i.scopeName ?? i.scopeId,
        i.since ?? '',
        i.basis,
      ]),
      findings: findings.map((f) => [f.severity, f.ruleId, f.subjectName ?? f.subjectId ?? '', f.detail]),
    };
  });
}

const STANDING = ['who', 'type', 'role', 'scope', 'since', 'basis'];
const FINDINGS = ['severity', 'rule', 'subject', 'detail'];

export function planesHtml(m: ReportModel, esc: (v: unknown) => string, t: Table): string {
  return views(m)
    .map(
      (v) =>
        `<h2>${esc(v.title)}</h2>\n<div class="meta" data-plane-summary>${esc(v.summary)}</div>\n` +
        (v.standing.length ? `<h3>Standing access</h3>${t(STANDING, v.standing)}\n` : '') +
        (v.findings.length ? `<h3>Findings</h3>${t(FINDINGS, v.findings)}\n` : ''),
    )
    .join('');
}

export function planesMarkdown(m: ReportModel, esc: (v: unknown) => string, t: Table): string[] {
  return views(m).flatMap((v) => [
    `## ${esc(v.title)}`,
    '',
    esc(v.summary),
    '',
    ...(v.standing.length ? ['### Standing access', '', t(STANDING, v.standing), ''] : []),
    ...(v.findings.length ? ['### Findings', '', t(FINDINGS, v.findings), ''] : []),
  ]);
}
