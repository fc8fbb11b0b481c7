// The quarterly evidence pack auditors ask for: the quarter's report, every finding with its
// exception, access at the start and end and every change between, every activation, the access
// reviews, the role-settings history and the data coverage, a control index per framework, and a
// manifest with the SHA-256 of every file, the pimops version and the exact queries run.
// Deterministic: the same store and quarter give the same bytes in every file but manifest.json,
// which alone records when it was made. Every query runs by id from queries/ (no SQL here).
import { createHash } from 'node:crypto';
import type { Config } from '../../core/config.js';
import type { Db, Row } from '../../core/db.js';
import { PimopsError } from '../../core/errors.js';
import { redactRegistered } from '../../core/redact.js';
import { parseQuarter, parseTime, type Period } from '../../core/time.js';
import { pimopsVersion } from '../../core/version.js';
import { CONTROL_MAP, FRAMEWORKS, FRAMEWORK_IDS, mappedTo, type FrameworkId } from '../../queries/controls.js';
import { allQueries, runQuery } from '../../queries/registry.js';
import { SEVERITIES, counting, rules, type Finding } from '../checks.js';
import { plain, renderCsv } from '../format.js';
import { markdownCell } from '../neutralise.js';
import { renderHtml, renderJson } from '../render.js';
import { buildReport, identities, pseudonymize } from '../report.js';

export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig.json';

export interface PackRequest {
  quarter: string;
  asOf?: string;
  pseudonymize: boolean;
  key?: string;
  now?: Date;
}

export interface Manifest {
  schemaVersion: 1;
  tool: 'pimops';
  pimopsVersion: string;
  /** The only time in the pack that is not a fact about the data. */
  generatedAt: string;
  quarter: string;
  /** quarter, or quarter-to-date while the quarter is still running at as-of. */
  scope: 'quarter' | 'quarter-to-date';
  period: { from: string; to: string; asOf: string; dataThrough: string };
  pseudonymized: boolean;
  files: { path: string; sha256: string; bytes: number }[];
  queries: { id: string; sha256: string }[];
}

export interface Pack {
  files: Map<string, Buffer>;
  manifest: Manifest;
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The quarter asked for, cut at as-of when it is still running (a quarter-to-date pack). */
export function quarterPeriod(
  quarter: string,
  asOf: string | undefined,
  now: Date,
): Period & { label: string; scope: Manifest['scope']; end: Date } {
  const q = parseQuarter(quarter, '--quarter');
  const at = asOf ? parseTime(asOf, '--as-of') : new Date(Math.min(q.to.getTime(), now.getTime()));
  if (at <= q.from)
    throw new PimopsError(
      'usage',
      `${q.label} has not started at ${at.toISOString()}: there is nothing to evidence yet`,
    );
  const scope = at < q.to ? 'quarter-to-date' : 'quarter';
  // Facts of the quarter stop at as-of: a quarter-to-date pack does not claim the days still to come.
  const end = new Date(Math.min(q.to.getTime(), at.getTime()));
  return { from: q.from, to: q.to, asOf: at, label: q.label, scope, end };
}

/** Records the SQL every query sends, so the manifest names exactly what ran (by id and text hash). */
function recording(db: Db, seen: Map<string, string>): Db {
  const byText = new Map([...allQueries().values()].map((q) => [q.sql, q.id]));
  const note = (sql: string) => seen.set(byText.get(sql) ?? `unnamed:${sha256(sql).slice(0, 12)}`, sha256(sql));
  return new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (['all', 'allJson', 'countRows', 'one'].includes(String(prop))) {
        return (sql: string, ...rest: unknown[]) => {
          note(sql);
          return (v as (...a: unknown[]) => unknown).call(target, sql, ...rest);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

const findingOrder = (a: Finding, b: Finding) =>
  SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
  a.ruleId.localeCompare(b.ruleId) ||
  (a.subjectId ?? '').localeCompare(b.subjectId ?? '') ||
  (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') ||
  a.detail.localeCompare(b.detail);

const FINDING_COLUMNS = [
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

function findingRows(findings: Finding[]): Row[] {
  return findings.map((f) => ({
    severity: f.severity,
    rule: f.ruleId,
    subject_type: f.subjectType,
    subject_id: f.subjectId,
    subject_name: f.subjectName,
    observed: f.observed,
    threshold: f.threshold,
    detail: f.detail,
    first_seen: f.firstSeen,
    last_seen: f.lastSeen,
    excepted: f.excepted,
    exception_reason: f.exception?.reason ?? null,
    exception_owner: f.exception?.owner ?? null,
    exception_expires: f.exception?.expires ?? null,
    controls: FRAMEWORK_IDS.flatMap((fw) => (CONTROL_MAP[f.ruleId]?.[fw] ?? []).map((c) => `${fw}:${c}`)).join(' '),
  }));
}

/** Which pack files hold the evidence for a rule or query id. */
function filesFor(id: string, ruleIds: Set<string>): string[] {
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

function controlIndex(
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
const text = (v: unknown, none: string) =>
  v === null || v === undefined ? none : JSON.stringify(v).replace(/^"|"$/g, '');

function readme(
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

/** Builds every file of the pack in memory; the caller writes them (folder or ZIP). */
export async function buildPack(db: Db, config: Config, req: PackRequest): Promise<Pack> {
  if (req.pseudonymize && !req.key) {
    throw new PimopsError(
      'usage',
      '--pseudonymize needs a key in the environment variable PIMOPS_PSEUDONYM_KEY (the same key gives the same aliases across reports)',
    );
  }
  const p = quarterPeriod(req.quarter, req.asOf, req.now ?? new Date());
  const seen = new Map<string, string>();
  const rdb = recording(db, seen);
  const model = await buildReport(
    rdb,
    config,
    { from: p.from, to: p.to, asOf: p.asOf },
    { compare: 1, pseudonymize: req.pseudonymize, key: req.key },
  );
  // The generation time lives in the manifest only: everything else is a fact of the store.
  model.generatedAt = `with the evidence pack ${p.label} (see its manifest.json)`;
  model.findings.items.sort(findingOrder);

  const range = { from: p.from, to: p.end };
  let tables: Record<string, Row[]> = {
    start: await runQuery(rdb, 'evidence_access_at', { as_of: p.from }),
    end: await runQuery(rdb, 'evidence_access_at', { as_of: p.end }),
    changes: await runQuery(rdb, 'evidence_access_changes', range),
    activations: await runQuery(rdb, 'evidence_activations', range),
    reviews: await runQuery(rdb, 'evidence_access_reviews', range),
    settings: await runQuery(rdb, 'evidence_role_settings', range),
    coverage: await runQuery(rdb, 'data_coverage', { as_of: p.asOf }),
    days: await runQuery(rdb, 'evidence_daily_coverage', range),
    store: await runQuery(rdb, 'audit_coverage', { as_of: p.asOf }),
  };
  tables = plain(tables) as Record<string, Row[]>;
  if (req.pseudonymize) tables = pseudonymize(tables, await identities(rdb), req.key!);
  const findings = model.findings.items;
  const ruleIds = new Set(rules().map((r) => r.id));

  const csv = (id: string, rows: Row[]) => renderCsv(columnsOf(rows, id), rows);
  const text = new Map<string, string>([
    [
      'README.md',
      readme(
        p,
        { findings: findings.length, ...Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.length])) },
        tables.days.filter((d) => Number(d.audit_records) === 0).map((d) => String(d.day).slice(0, 10)),
        tables.store[0],
        req.pseudonymize,
      ),
    ],
    ['report.html', renderHtml(model)],
    ['report.json', renderJson(model)],
    ['findings.csv', renderCsv(FINDING_COLUMNS, findingRows(findings))],
    ['access-start.csv', csv('evidence_access_at', tables.start)],
    ['access-end.csv', csv('evidence_access_at', tables.end)],
    ['access-changes.csv', csv('evidence_access_changes', tables.changes)],
    ['activations.csv', csv('evidence_activations', tables.activations)],
    ['access-reviews.csv', csv('evidence_access_reviews', tables.reviews)],
    ['role-settings.csv', csv('evidence_role_settings', tables.settings)],
    ['coverage.csv', csv('data_coverage', tables.coverage)],
    ['coverage-daily.csv', csv('evidence_daily_coverage', tables.days)],
  ]);
  const index: Record<string, unknown> = {};
  for (const fw of FRAMEWORK_IDS) {
    const c = controlIndex(fw, findings, ruleIds);
    text.set(`controls/${fw}.md`, c.md);
    index[fw] = c.json;
  }
  text.set('controls.json', JSON.stringify(index, null, 2) + '\n');

  // Redacted before hashing, so the hashes are of the bytes that are written.
  const files = new Map(
    [...text.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Buffer.from(redactRegistered(v))]),
  );
  const manifest: Manifest = {
    schemaVersion: 1,
    tool: 'pimops',
    pimopsVersion: pimopsVersion(),
    generatedAt: (req.now ?? new Date()).toISOString(),
    quarter: p.label,
    scope: p.scope,
    period: {
      from: p.from.toISOString(),
      to: p.to.toISOString(),
      asOf: p.asOf.toISOString(),
      dataThrough: p.end.toISOString(),
    },
    pseudonymized: req.pseudonymize,
    files: [...files.entries()].map(([path, data]) => ({ path, sha256: sha256(data), bytes: data.length })),
    queries: [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, hash]) => ({ id, sha256: hash })),
  };
  files.set(MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  return { files, manifest };
}

/** The rows' columns; for no rows, the query's declared ones (its header lines read "name, name: meaning"). */
function columnsOf(rows: Row[], id: string): string[] {
  if (rows.length) return Object.keys(rows[0]);
  return allQueries()
    .get(id)!
    .columns.flatMap((line) =>
      line
        .split(':')[0]
        .split(',')
        .map((c) => c.trim()),
    )
    .filter(Boolean);
}
