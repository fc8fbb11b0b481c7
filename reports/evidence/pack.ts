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
import { FRAMEWORK_IDS } from '../../queries/controls.js';
import { allQueries, runQuery } from '../../queries/registry.js';
import { rules } from '../checks.js';
import { plain, renderCsv } from '../format.js';
import { renderHtml, renderJson } from '../render.js';
import { buildReport, identities, pseudonymize } from '../report.js';
import { FINDING_COLUMNS, controlIndex, findingOrder, findingRows, readme } from './index-files.js';

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
