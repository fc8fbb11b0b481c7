import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Params, Row } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { FINDING_COLUMNS, SEVERITIES, findingSql, ruleIdOf, type Severity } from './findings.js';
import { asText } from '../core/text.js';
import { listValue } from '../core/db.js';
import { DuckDBListValue } from '@duckdb/node-api';

const here = dirname(fileURLToPath(import.meta.url));

export interface ParameterSpec {
  name: string;
  type: string;
  description: string;
}

export interface NamedQuery {
  id: string;
  title: string;
  description: string;
  parameters: ParameterSpec[];
  columns: string[];
  thresholds: string[];
  sql: string;
  file: string;
  /** Checks only (check_*.sql): the rule the file is, from its header. */
  rule?: RuleSpec;
}

export interface RuleSpec {
  id: string;
  /** Every severity the rule can emit, and the header's words for when. */
  severities: Severity[];
  severityText: string;
  /** docs/rules.md#<rule id> */
  doc: string;
  /** The config keys its thresholds come from, with their defaults as the header states them. */
  thresholds: string[];
  /** One sentence: what a reader does about a finding of this rule (the report's attention block and rule table). */
  action: string;
  /**
   * The named query counting who the rule judges (`population` and its `unit`), when the rule's
   * subjects are drawn from a countable set: a rule that fires for most of it says so instead of
   * listing everyone.
   */
  population?: string;
}

/** Parses the comment header every query file starts with (see queries/CONTEXT.md). */
/**
 * `-- include: NAME` stands for queries/fragments/NAME.sql (its SQL, without its comment header): CTEs
 * several rules share are written once, and each query still arrives at DuckDB whole, with no macro
 * a store made by an older pimops would lack.
 */
export function expandIncludes(file: string, text: string): string {
  return text.replace(/^-- include: (\w+)\s*$/gm, (_line, name: string) => {
    const path = join(here, 'fragments', `${name}.sql`);
    let fragment: string;
    try {
      fragment = readFileSync(path, 'utf8');
    } catch {
      throw new PimopsError('internal', `${file}: no fragment ${name} (queries/fragments/${name}.sql)`);
    }
    return fragment
      .split('\n')
      .filter((l, i, all) => !(l.startsWith('--') && all.slice(0, i).every((x) => x.startsWith('--'))))
      .join('\n')
      .trimEnd();
  });
}

export function parseQuery(file: string, text: string): NamedQuery {
  const lines = text.split('\n');
  const header: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('--')) break;
    header.push(line.replace(/^--\s?/, ''));
  }
  const fields: Record<string, string[]> = {};
  let section = '';
  for (const h of header) {
    const top = /^(\w+):\s*(.*)$/.exec(h);
    if (top && !h.startsWith(' ')) {
      section = top[1];
      fields[section] = top[2] ? [top[2]] : [];
    } else if (section) {
      fields[section].push(h.trim());
    }
  }
  const id = fields.id?.[0];
  const expected = basename(file, '.sql');
  if (id !== expected)
    throw new PimopsError('internal', `${file}: header id '${id}' must equal the file name '${expected}'`);
  const parameters = (fields.parameters ?? []).map((p) => {
    const m = /^(\w+)\s+(\w+(?:\[\])?):\s*(.*)$/.exec(p);
    if (!m) throw new PimopsError('internal', `${file}: cannot read parameter line '${p}'`);
    return { name: m[1], type: m[2], description: m[3] };
  });
  const body = lines.slice(header.length).join('\n').trim().replace(/;\s*$/, '');
  const rule = id.startsWith('check_') ? ruleSpec(file, id, fields) : undefined;
  const sql = rule ? findingSql(id, body) : body;
  const used = new Set([...sql.matchAll(/\$(\w+)/g)].map((m) => m[1]));
  const declared = new Set(parameters.map((p) => p.name));
  for (const u of used)
    if (!declared.has(u)) throw new PimopsError('internal', `${file}: $${u} is used but not declared in the header`);
  for (const d of declared)
    if (!used.has(d)) throw new PimopsError('internal', `${file}: parameter ${d} is declared but not used`);
  return {
    id,
    title: fields.title?.join(' ') ?? id,
    description: (fields.description ?? []).join(' '),
    parameters,
    columns: rule ? FINDING_COLUMNS.map((c) => c.name) : (fields.columns ?? []),
    thresholds: fields.thresholds ?? [],
    sql,
    file,
    rule,
  };
}

/** A check's header names its severities and its doc anchor; its columns are the finding contract. */
function ruleSpec(file: string, id: string, fields: Record<string, string[]>): RuleSpec {
  const rule = ruleIdOf(id);
  const severityText = (fields.severity ?? []).join(' ');
  const severities = SEVERITIES.filter((s) => new RegExp(`\\b${s}\\b`).test(severityText));
  if (!severities.length)
    throw new PimopsError(
      'internal',
      `${file}: a check's header needs 'severity:' naming the severities it emits (${SEVERITIES.join(', ')})`,
    );
  const doc = fields.doc?.[0] ?? '';
  if (doc !== `docs/rules.md#${rule}`)
    throw new PimopsError('internal', `${file}: a check's header needs 'doc: docs/rules.md#${rule}'`);
  if (fields.columns)
    throw new PimopsError(
      'internal',
      `${file}: a check's columns are the finding contract (queries/findings.ts), not declared in its header`,
    );
  const action = (fields.action ?? []).join(' ').trim();
  // One sentence, ending with its full stop: the report prints it beside the finding as it stands.
  if (!/^[A-Z][^\n]*[a-z)]\.$/.test(action) || /\.\s+[A-Z]/.test(action))
    throw new PimopsError('internal', `${file}: a check's header needs 'action:', one sentence saying what to do`);
  const population = fields.population?.[0];
  if (population !== undefined && !/^population_\w+$/.test(population))
    throw new PimopsError('internal', `${file}: 'population:' names a population_* query`);
  return {
    id: rule,
    severities,
    severityText,
    doc,
    thresholds: (fields.thresholds ?? []).map((t) => t.replace(/^[\w, ]+:\s*/, '')),
    action,
    ...(population ? { population } : {}),
  };
}

let cache: Map<string, NamedQuery> | undefined;

export function allQueries(): Map<string, NamedQuery> {
  if (cache) return cache;
  cache = new Map();
  for (const name of readdirSync(here)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const file = join(here, name);
    const q = parseQuery(file, expandIncludes(file, readFileSync(file, 'utf8')));
    cache.set(q.id, q);
  }
  return cache;
}

export function getQuery(id: string): NamedQuery {
  const q = allQueries().get(id);
  if (!q) {
    throw new PimopsError('query-unknown', `No query named '${id}'. Known: ${[...allQueries().keys()].join(', ')}`);
  }
  return q;
}

/**
 * A LIST parameter: a list from the config, or what a person typed (`--param k=["a","b"]` or `k=a,b`).
 * It reaches SQL as a DuckDB list, never as JSON text the query would have to parse.
 */
function listParam(q: NamedQuery, p: ParameterSpec, v: unknown): DuckDBListValue {
  if (v instanceof DuckDBListValue) return v;
  let items: unknown[];
  if (Array.isArray(v)) items = v;
  else {
    const text = asText(v).trim();
    try {
      items = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text ? text.split(',').map((x) => x.trim()) : [];
    } catch {
      throw new PimopsError(
        'query-parameter',
        `Parameter ${p.name} of ${q.id} must be a list (["a","b"] or a,b), got '${text}'`,
      );
    }
  }
  if (p.type === 'INTEGER[]') {
    const ns = items.map(Number);
    if (ns.some((n) => !Number.isInteger(n))) {
      throw new PimopsError('query-parameter', `Parameter ${p.name} of ${q.id} must be a list of whole numbers`);
    }
    return listValue(ns);
  }
  return listValue(items.map(asText));
}

/** Binds exactly the declared parameters; a missing one is the caller's mistake, named. */
export function bind(q: NamedQuery, params: Record<string, unknown>): Params {
  const out: Params = {};
  for (const p of q.parameters) {
    const v = params[p.name];
    if (v === undefined || v === null)
      throw new PimopsError('query-parameter', `Query ${q.id} needs parameter ${p.name} (${p.type}): ${p.description}`);
    if (['DOUBLE', 'INTEGER', 'BIGINT'].includes(p.type)) {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n))
        throw new PimopsError('query-parameter', `Parameter ${p.name} of ${q.id} must be a number, got '${asText(v)}'`);
      out[p.name] = n;
    } else if (p.type === 'BOOLEAN') {
      out[p.name] = v === true || v === 'true' || v === '1';
    } else if (p.type === 'TIMESTAMPTZ') {
      const d = v instanceof Date ? v : new Date(asText(v).length === 10 ? `${asText(v)}T00:00:00Z` : asText(v));
      if (Number.isNaN(d.getTime()))
        throw new PimopsError(
          'query-parameter',
          `Parameter ${p.name} of ${q.id} must be a date or timestamp, got '${asText(v)}'`,
        );
      out[p.name] = d.toISOString();
    } else if (p.type.endsWith('[]')) {
      out[p.name] = listParam(q, p, v);
    } else {
      out[p.name] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  for (const k of Object.keys(params)) {
    if (!q.parameters.some((p) => p.name === k))
      throw new PimopsError(
        'query-parameter',
        `Query ${q.id} has no parameter '${k}' (it takes: ${q.parameters.map((p) => p.name).join(', ') || 'none'})`,
      );
  }
  return out;
}

export async function runQuery(db: Db, id: string, params: Record<string, unknown>): Promise<Row[]> {
  const q = getQuery(id);
  return db.all(q.sql, bind(q, params));
}

/** How many rows a named query returns, streamed: for timing queries whose results are too big to hold. */
export async function countQueryRows(db: Db, id: string, params: Record<string, unknown>): Promise<number> {
  const q = getQuery(id);
  return db.countRows(q.sql, bind(q, params));
}

export async function runQueryJson(
  db: Db,
  id: string,
  params: Record<string, unknown>,
): Promise<{ columns: string[]; types: string[]; rows: Row[] }> {
  const q = getQuery(id);
  return db.allJson(q.sql, bind(q, params));
}

/** A named query's result in batches, for output that must not hold every row (query, the shell). */
export async function streamQuery(db: Db, id: string, params: Record<string, unknown>) {
  const q = getQuery(id);
  return db.stream(q.sql, bind(q, params));
}

/** Only the parameters a query declares, picked from a larger set (the CLI's common ones). */
export function pickParams(id: string, available: Record<string, unknown>): Record<string, unknown> {
  const q = getQuery(id);
  return Object.fromEntries(q.parameters.filter((p) => p.name in available).map((p) => [p.name, available[p.name]]));
}
