// `pimops export sentinel`: payloads for the custom tables (new and changed rows since the last
// upload), the ARM templates, workbooks, analytics rules, watchlists and the KQL metrics, all made
// from the same table list, and with --upload the rows sent through the Logs Ingestion API.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { Db } from '../../core/db.js';
import { configFor, type Config } from '../../core/config.js';
import { pickTenant, scopeToTenant, storeTenants, type StoreTenant } from '../../core/tenants.js';
import { tenantSlug } from '../tenants-report.js';
import { asPimopsError } from '../../core/errors.js';
import { AtomicFile, writeFileAtomic } from '../../core/output.js';
import { runQueryJson, pickParams } from '../../queries/registry.js';
import { configParams, type ParamPeriod } from '../../queries/params.js';
import { renderCsv } from '../format.js';
import { isFormula, terminalText } from '../neutralise.js';
import { SENTINEL_TABLES } from './tables.js';
import { tableRows, versionOf, ensureSentState, destinationOf } from './rows.js';
import { tablesAndDcrTemplate, watchlistsTemplate, type Watchlist } from './templates.js';
import { customTablesWorkbook, auditLogsWorkbook, workbookArm } from './workbook.js';
import { analyticsRules, ruleYaml, rulesArm, watchlistAlias } from './rules.js';
import { KQL_METRICS } from './kql.js';
import { destination, TableUpload, type Destination } from './upload.js';
import { timed, profileNote } from '../../core/profile.js';

export interface SentinelExportResult {
  version: number;
  tables: Record<string, { current: number; pending: number; tombstones: number; sent: number; failed: number }>;
  files: string[];
  uploaded: boolean;
  failures: { table: string; rows: number; reason: string }[];
  /** Watchlist values a spreadsheet would run as formulas, named for the person running the export:
   * the CSVs keep them exact because KQL joins on them. */
  warnings: string[];
}

const json = (o: unknown) => JSON.stringify(o, null, 2) + '\n';
const datetime = (d: Date) => `datetime(${d.toISOString()})`;

async function watchlists(db: Db, config: Config, period: ParamPeriod, warnings: string[]): Promise<Watchlist[]> {
  const params = configParams(config, period);
  // Exact, unlike every CSV made for people: a value changed here would no longer match in the KQL
  // join. A value that would run as a formula if the file were opened in a spreadsheet is named instead.
  const csv = async (id: string) => {
    const res = await runQueryJson(db, id, pickParams(id, params));
    res.rows.forEach((r, i) => {
      for (const c of res.columns) {
        const v = r[c];
        if (typeof v === 'string' && isFormula(v)) {
          const shown = v.length > 80 ? `${v.slice(0, 80)}…` : v;
          warnings.push(
            `watchlist ${id}, row ${i + 1}, column ${c}: '${terminalText(shown)}' would run as a formula if the CSV were opened in a spreadsheet; it is exported exactly because KQL joins on it`,
          );
        }
      }
    });
    return { csv: renderCsv(res.columns, res.rows, { exact: true }) };
  };
  const bg = await csv('watchlist_break_glass');
  const roles = await csv('watchlist_privileged_roles');
  const standing = await csv('standing_assignments');
  return [
    {
      alias: watchlistAlias(config, 'BreakGlass'),
      displayName: 'PIM break-glass accounts',
      description: 'Emergency-access accounts (pimops breakGlassAccounts)',
      searchKey: 'account',
      csv: bg.csv,
    },
    {
      alias: watchlistAlias(config, 'PrivilegedRoles'),
      displayName: 'PIM privileged roles',
      description: 'Privileged and tier-0 Entra roles as pimops classifies them',
      searchKey: 'role_id',
      csv: roles.csv,
    },
    {
      alias: watchlistAlias(config, 'StandingAssignments'),
      displayName: 'PIM standing assignments',
      description: 'Active assignments with no end date, from the newest state snapshot',
      searchKey: 'principal_id',
      csv: standing.csv,
    },
  ];
}

export interface SentinelExportOptions {
  period: ParamPeriod;
  upload?: boolean;
  credential?: () => TokenCredential;
  full?: boolean;
  log?: (m: string) => void;
  /** The configuration whose sentinel.* settings and credential the upload uses (default: config). */
  uploadConfig?: Config;
}

/**
 * One tenant's export: `config` is that tenant's (config.tenant names it) and `db` answers for it
 * alone (core/tenants.ts). The state table must exist (ensureSentState).
 */
export async function exportSentinel(
  db: Db,
  config: Config,
  outDir: string,
  opts: SentinelExportOptions,
): Promise<SentinelExportResult> {
  const out = resolve(outDir);
  const files: string[] = [];
  const write = (rel: string, text: string) => {
    writeFileAtomic(join(out, rel), text);
    files.push(rel);
  };
  try {
    for (const d of ['payloads', 'templates', 'workbooks', 'rules', 'watchlists', 'kql'])
      mkdirSync(join(out, d), { recursive: true });
  } catch (err) {
    throw asPimopsError(err);
  }

  const warnings: string[] = [];
  await ensureSentState(db, config, config.tenant ? [config.tenant] : []);
  const version = await versionOf(db);
  try {
    write('templates/tables-and-dcr.json', json(tablesAndDcrTemplate()));
    const lists = await timed('sentinel watchlists', () => watchlists(db, config, opts.period, warnings));
    for (const w of lists) write(`watchlists/${w.alias}.csv`, w.csv);
    write('templates/watchlists.json', json(watchlistsTemplate(lists)));
    const a = customTablesWorkbook(config);
    const b = auditLogsWorkbook(config);
    write('workbooks/pimops-custom-tables.workbook', json(a));
    write('workbooks/pimops-auditlogs.workbook', json(b));
    write('templates/workbook-custom-tables.json', json(workbookArm(a, 'PIM operations (pimops tables)')));
    write('templates/workbook-auditlogs.json', json(workbookArm(b, 'PIM operations (AuditLogs)')));
    const rules = analyticsRules(config);
    for (const r of rules) write(`rules/${r.file}`, ruleYaml(r));
    write('templates/analytics-rules.json', json(rulesArm(rules)));
    const window = {
      from: datetime(opts.period.from),
      to: datetime(opts.period.to),
      asOf: datetime(opts.period.asOf < opts.period.to ? opts.period.asOf : opts.period.to),
    };
    const targets = {
      selfTargetSeconds: config.targets.selfActivationSeconds,
      approvalTargetSeconds: config.targets.approvalSeconds,
    };
    for (const m of KQL_METRICS) write(`kql/${m.id}.kql`, m.text(window, targets) + '\n');
  } catch (err) {
    throw asPimopsError(err);
  }

  // Table by table: the rows to send stream from DuckDB into the payload file and, with --upload,
  // into batches on their way; what the workspace accepted is recorded before the next table.
  let to: Destination | undefined;
  const failures: SentinelExportResult['failures'] = [];
  const tables: SentinelExportResult['tables'] = {};
  // The findings first: every check over the whole store is the export's biggest DuckDB working set,
  // and it runs before the buffer pool holds the request and activation rows.
  for (const t of [...SENTINEL_TABLES].reverse()) {
    const rows = await tableRows(db, config, t, { asOf: opts.period.asOf, version, full: opts.full });
    const rel = `payloads/${t.name}.ndjson`;
    const file = new AtomicFile(join(out, rel));
    try {
      const pending = rows.send + rows.tombstones;
      if (opts.upload && pending) to ??= destination(opts.uploadConfig ?? config, opts.credential!());
      const up = opts.upload && pending ? new TableUpload(to!, t.name) : undefined;
      const t0 = performance.now();
      for await (const batch of rows.rows()) {
        const json = batch.map((r) => ({ ...r, json: JSON.stringify(r.payload) }));
        file.write(json.map((r) => r.json + '\n').join(''));
        await up?.add(json);
      }
      await up?.finish();
      profileNote(`sentinel ${t.name}: rows written`, t0);
      file.commit();
      files.push(rel);
      if (up) {
        await rows.record(up.refused);
        opts.log?.(up.summary());
        if (up.refused.length)
          failures.push({ table: t.name, rows: up.refusedRows, reason: [...up.reasons].join('; ') });
      }
      tables[t.name] = {
        current: rows.current,
        pending,
        tombstones: rows.tombstones,
        sent: up?.sent ?? 0,
        failed: up?.refusedRows ?? 0,
      };
    } catch (err) {
      file.abort();
      throw asPimopsError(err);
    } finally {
      await rows.close();
    }
  }
  const ordered = Object.fromEntries(SENTINEL_TABLES.map((t) => [t.name, tables[t.name]]));
  const result = { version, tables: ordered, files, uploaded: Boolean(opts.upload), failures, warnings };
  write('payloads/summary.json', json(result));
  return result;
}

/**
 * DuckDB's buffer limit for the export, at most 800 MB: the process peaks some 300–500 MB above it
 * (the rows on their way, the metric values, the client), and the export is held to 1.5 GB on a
 * 10M-record store. On a 3M store (first, unchanged export) 1.5GB gave 1.25 and 1.47 GB, 1GB 1.35
 * and 1.38 GB, 800MB 1.11 and 1.02 GB, at the same speed (docs/benchmarks.md). A smaller configured limit stays.
 */
export const EXPORT_MEMORY_LIMIT_BYTES = 800e6;

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** The configuration to open the store with for the export: storage.memoryLimit capped (see above). */
export function exportDbConfig(config: Config): Config {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(config.storage.memoryLimit);
  const bytes = m ? Number(m[1]) * (UNITS[m[2].toLowerCase()] ?? NaN) : NaN;
  if (bytes <= EXPORT_MEMORY_LIMIT_BYTES) return config;
  return { ...config, storage: { ...config.storage, memoryLimit: `${EXPORT_MEMORY_LIMIT_BYTES / 1e6}MB` } };
}

export interface TenantSentinelExport {
  /** The tenant exported; undefined for a store that knows none. */
  tenant?: StoreTenant;
  dir: string;
  result: SentinelExportResult;
}

/**
 * The export of a whole store: `tenant` names one, `allTenants` takes each in turn (into
 * <out>/<tenant name or id>/), and a store of several refuses to mix them. Each tenant's rows carry
 * its id and go to the destination its configuration names (tenants[].sentinel), else the shared
 * one; uploads to the shared destination sign in with the shared configuration, uploads to a
 * tenant's own with that tenant's. `db` is a writer: what was sent is remembered.
 */
export async function exportSentinelStore(
  db: Db,
  config: Config,
  outDir: string,
  opts: Omit<SentinelExportOptions, 'credential' | 'uploadConfig'> & {
    tenant?: string;
    allTenants?: boolean;
    credential?: (config: Config) => TokenCredential;
  },
): Promise<TenantSentinelExport[]> {
  const tenants = await storeTenants(db, config);
  await ensureSentState(
    db,
    config,
    tenants.map((t) => t.id),
  );
  const chosen: (StoreTenant | undefined)[] = opts.allTenants ? tenants : [pickTenant(tenants, opts.tenant)];
  const out: TenantSentinelExport[] = [];
  for (const tenant of chosen) {
    if (tenant && tenants.length > 1) await scopeToTenant(db, tenant.id);
    const own = configFor(config, tenant?.id);
    const uploadConfig = destinationOf(own) === destinationOf(config) ? config : own;
    const dir = opts.allTenants && tenant ? join(outDir, tenantSlug(tenant)) : outDir;
    const log =
      opts.log && tenant && opts.allTenants ? (m: string) => opts.log!(`${tenantSlug(tenant)}: ${m}`) : opts.log;
    const result = await exportSentinel(db, own, dir, {
      ...opts,
      log,
      uploadConfig,
      credential: opts.credential ? () => opts.credential!(uploadConfig) : undefined,
    });
    out.push({ tenant, dir, result });
  }
  return out;
}
