// What an evidence pack says about itself: the findings as rows, each framework's control index
// pointing at the files that evidence it, and the README.
import type { Row } from '../../core/db.js';
import { CONTROL_MAP, FRAMEWORKS, FRAMEWORK_IDS, mappedTo, type FrameworkId } from '../../queries/controls.js';
import { SEVERITIES, counting, findingColumns, type Finding } from '../checks.js';
import { markdownCell } from '../neutralise.js';
import { quarterPeriod } from './pack.js';

export const findingOrder = (a: Finding, b: Finding) =>
  SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
  a.ruleId.localeCompare(b.ruleId) ||
  (a.subjectId ?? '').localeCompare(b.subjectId ?? '') ||
  (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') ||
  a.detail.localeCompare(b.detail);

export const FINDING_COLUMNS = [
  'severity',
  'rule',
  'subject_type',
  'subject_id',
  'subject_name',
  'observed',
  'threshold',
  'detail',
  'first_seen',
  'last_seen',
  'excepted',
  'exception_reason',
  'exception_owner',
  'exception_expires',
  'controls',
];

export function findingRows(findings: Finding[]): Row[] {
  return findings.map((f) => ({
    ...findingColumns(f),
    rule: f.ruleId,
    controls: FRAMEWORK_IDS.flatMap((fw) => (CONTROL_MAP[f.ruleId]?.[fw] ?? []).map((c) => `${fw}:${c}`)).join(' '),
  }));
}

/** Which pack files hold the evidence for a rule or query id. */
export function filesFor(id: string, ruleIds: Set<string>): string[] {
  if (ruleIds.has(id)) return ['findings.csv'];
  const evidence: Record<string, string[]> = {
    evidence_access_at: ['access-start.csv', 'access-end.csv'],
    evidence_access_changes: ['access-changes.csv'],
    evidence_activations: ['activations.csv'],
    evidence_access_reviews: ['access-reviews.csv'],
    evidence_role_settings: ['role-settings.csv'],
    evidence_daily_coverage: ['coverage-daily.csv'],
  };
  return evidence[id] ?? ['report.html', 'report.json'];
}

export function controlIndex(
  framework: FrameworkId,
  findings: Finding[],
  ruleIds: Set<string>,
): { md: string; json: unknown } {
  const f = FRAMEWORKS[framework];
  const mapped = mappedTo(framework);
  const controls = Object.entries(f.controls).map(([id, title]) => ({
    id,
    title,
    evidence: mapped
      .filter((m) => m.controls.includes(id))
      .map((m) => {
        const kind = ruleIds.has(m.id) ? 'rule' : m.id.startsWith('evidence_') ? 'evidence' : 'metric';
        const mine = findings.filter((x) => x.ruleId === m.id);
        return {
          id: m.id,
          kind,
          files: filesFor(m.id, ruleIds),
          ...(kind === 'rule'
            ? { findings: counting(mine).length, excepted: mine.length - counting(mine).length }
            : {}),
        };
      }),
  }));
  const lines = [
    `# ${f.name}: control index`,
    '',
    `Mapped ${f.basis === 'by control title' ? '**by control title** (the framework text is not public; see docs/rules.md for the sources)' : 'against the published text'}. Sources: ${f.sources.join(', ')}`,
    '',
    'A rule listed under a control is evidence for it: its findings are in findings.csv (column `rule`), none found is itself the evidence. A mapping does not say the control is met.',
    '',
    '| control | title | evidenced by | kind | files | findings (excepted) |',
    '|---|---|---|---|---|---|',
    ...controls.flatMap((c) =>
      c.evidence.length
        ? c.evidence.map(
            (e) =>
              `| ${c.id} | ${markdownCell(c.title)} | ${e.id} | ${e.kind} | ${e.files.join(', ')} | ${'findings' in e ? `${e.findings} (${e.excepted})` : ''} |`,
          )
        : [`| ${c.id} | ${markdownCell(c.title)} | (nothing in pimops evidences it) | | | |`],
    ),
    '',
  ];
  return { md: lines.join('\n'), json: { framework, name: f.name, basis: f.basis, sources: f.sources, controls } };
}

/** A value of a plain()ed row as text (rows here hold strings, numbers, booleans or null). */
export const text = (v: unknown, none: string) =>
  v === null || v === undefined ? none : JSON.stringify(v).replace(/^"|"$/g, '');

export function readme(
  p: ReturnType<typeof quarterPeriod>,
  counts: Record<string, number>,
  zeroDays: string[],
  coverage: Row | undefined,
  pseudonymized: boolean,
): string {
  const scope =
    p.scope === 'quarter-to-date'
      ? `**Quarter to date**: ${p.label} is still running at the as-of time; this pack covers ${p.from.toISOString()} to ${p.end.toISOString()} only.`
      : `The whole quarter ${p.label}.`;
  const c = coverage ?? {};
  return [
    `# PIM evidence pack ${p.label}${p.scope === 'quarter-to-date' ? ' (quarter to date)' : ''}`,
    '',
    scope,
    '',
    `Period: ${p.from.toISOString()} to ${p.to.toISOString()} (UTC, end exclusive); facts read as of ${p.asOf.toISOString()}.`,
    pseudonymized
      ? 'People are pseudonymized with a keyed alias: the same key gives the same alias in every pack and report.'
      : '',
    '',
    '| file | what it holds | rows |',
    '|---|---|---|',
    `| report.html, report.json | the quarter's PIM operations report (targets, metrics, findings, coverage) | |`,
    `| findings.csv | every finding of every rule at as-of, with its exception (reason, owner, expiry) and the controls it evidences | ${counts.findings} |`,
    `| access-start.csv | eligible and active assignments in force when the quarter began | ${counts.start} |`,
    `| access-end.csv | eligible and active assignments in force when it ended (or at as-of) | ${counts.end} |`,
    `| access-changes.csv | every assignment added, removed or expired in between, with who made it | ${counts.changes} |`,
    `| activations.csv | every activation request: justification, ticket, MFA, decision and approver, how it ended | ${counts.activations} |`,
    `| access-reviews.csv | access review instances that ran, each decision and whether it was applied | ${counts.reviews} |`,
    `| role-settings.csv | role settings in force at the start and every snapshot after it | ${counts.settings} |`,
    `| coverage.csv | what each source delivered to the store | ${counts.coverage} |`,
    `| coverage-daily.csv | audit records per UTC day of the quarter | ${counts.days} |`,
    '| controls/<framework>.md, controls.json | per framework: each control, the rules and queries that evidence it, and the files | |',
    '| manifest.json | SHA-256 of every file, the pimops version, the queries run (id and SHA-256 of their SQL) | |',
    '',
    '## Coverage and gaps',
    '',
    `Audit records in the store: ${text(c.audit_events, '0')} from ${text(c.first_event, 'none')} to ${text(c.last_event, 'none')}; ${text(c.quarantined, '0')} input lines or files quarantined.`,
    c.snapshot_at
      ? `Newest state snapshot at or before as-of: ${text(c.snapshot_at, 'none')}.`
      : 'No state snapshot at or before as-of: access comes from audit replay, which cannot see assignments made before the first audit record.',
    zeroDays.length
      ? `Days of the quarter with no audit record at all (${zeroDays.length}): ${zeroDays.join(', ')}. Explain each (no activity, or a pull that did not happen).`
      : 'Every day of the quarter has audit records.',
    '',
    '## Checking it',
    '',
    "`pimops evidence verify <this folder or zip>` recomputes every hash against manifest.json and prints the manifest's own SHA-256.",
    'Keep that hash (or the signature, when the pack is signed) apart from the pack: without it, verification catches accidental change, not a forger, who can rewrite the manifest too.',
    '',
  ].join('\n');
}
