// Many tenants in one store. Every table that holds tenant data carries tenant_id; a reader that
// answers for one tenant sees only that tenant through TEMP views of the same names, which shadow
// the tables (DuckDB resolves the temp catalog first). So every query, report and ad hoc statement
// is written once, for one tenant, and never filters on the tenant itself.
import { sqlString, type Db } from './db.js';
import { configFor, configuredTenants, type Config } from './config.js';
import { PimopsError } from './errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface StoreTenant {
  id: string;
  /** The configured name, when the configuration names this tenant. */
  name?: string;
}

/** The tenants a store holds (named by its records) and the ones the configuration lists, by id. */
export async function storeTenants(db: Db, config: Config): Promise<StoreTenant[]> {
  const configured = configuredTenants(config);
  const ids = new Set(configured.map((t) => t.id));
  if (config.tenant) ids.add(config.tenant);
  const held = await db
    .all<{ t: string }>('SELECT DISTINCT tenant_id AS t FROM audit_events WHERE tenant_id IS NOT NULL ORDER BY 1')
    .catch(() => [] as { t: string }[]);
  for (const r of held) ids.add(r.t);
  return [...ids].sort().map((id) => ({ id, name: configured.find((t) => t.id === id)?.name }));
}

/** Names a tenant by id or configured name (case-insensitive), or says which ones exist. */
export function findTenant(tenants: StoreTenant[], wanted: string, opts: { anyGuid?: boolean } = {}): StoreTenant {
  const w = wanted.trim().toLowerCase();
  const hit = tenants.find((t) => t.id === w || t.name?.toLowerCase() === w);
  if (hit) return hit;
  // Records may bring a tenant the store has not seen yet (the first import of a new tenant).
  if (opts.anyGuid && GUID.test(w)) return { id: w };
  throw new PimopsError(
    'usage',
    `--tenant ${wanted}: not a tenant of this store or configuration. Known: ${tenants.map(label).join(', ') || 'none'}`,
  );
}

export function label(t: StoreTenant): string {
  return t.name ? `${t.name} (${t.id})` : t.id;
}

/**
 * The tenant a one-tenant answer is for: the one asked for; else the store's only tenant; a store
 * with several refuses to mix them.
 */
export function pickTenant(tenants: StoreTenant[], wanted: string | undefined): StoreTenant | undefined {
  if (wanted) return findTenant(tenants, wanted);
  if (tenants.length <= 1) return tenants[0];
  throw new PimopsError(
    'usage',
    `This store holds ${tenants.length} tenants: name one with --tenant ID|NAME, or ask for --all-tenants where the command offers it. Tenants: ${tenants.map(label).join(', ')}`,
  );
}

/** The tables of the store (not temp) that carry a tenant_id column. */
async function tenantTables(db: Db): Promise<{ database: string; table: string }[]> {
  return db.all<{ database: string; table: string }>(
    `SELECT c.database_name AS database, c.table_name AS "table"
     FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
     WHERE c.column_name = 'tenant_id' AND c.schema_name = 'main' AND NOT t.temporary AND c.database_name = current_database()
     ORDER BY 2`,
  );
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * From now on this connection sees one tenant: every table with a tenant_id is shadowed by a TEMP
 * view of its rows for that tenant. Called again, it moves to another tenant. Rows whose tenant is
 * unknown (NULL) belong to no tenant's answer once a store holds several.
 */
export async function scopeToTenant(db: Db, tenantId: string): Promise<void> {
  const tables = await tenantTables(db);
  for (const { database, table } of tables) {
    await db.run(
      // A view holds no parameters: the id is quoted as a literal.
      `CREATE OR REPLACE TEMP VIEW ${ident(table)} AS SELECT * FROM ${ident(database)}.main.${ident(table)} WHERE tenant_id = ${sqlString(tenantId)}`,
    );
  }
  // Quarantined lines carry no tenant of their own (a line that could not be read names none): they
  // are the tenant's whose file it was. A file of several tenants' records belongs to none.
  const main = tables.find((t) => t.table === 'landing_files')?.database;
  if (
    main &&
    (await db.one(
      `SELECT 1 AS y FROM duckdb_tables() WHERE database_name = $d AND table_name = 'quarantine' AND NOT temporary`,
      { d: main },
    ))
  )
    await db.run(
      `CREATE OR REPLACE TEMP VIEW quarantine AS SELECT q.* FROM ${ident(main)}.main.quarantine q
       WHERE q.landing_file IN (SELECT landed_file FROM ${ident(main)}.main.landing_files WHERE tenant_id = ${sqlString(tenantId)})`,
    );
}

/**
 * Makes an open reader answer for one tenant: the one asked for, else the store's only one. With
 * several, the connection is scoped to it (scopeToTenant); `all` (ad hoc SQL) lets a reader that
 * names none see every tenant instead of refusing. The configuration is that tenant's.
 */
export async function applyTenant(
  db: Db,
  config: Config,
  wanted: string | undefined,
  opts: { all?: boolean } = {},
): Promise<{ tenant?: StoreTenant; config: Config }> {
  const tenants = await storeTenants(db, config);
  if (!wanted && opts.all && tenants.length > 1) return { config };
  const tenant = pickTenant(tenants, wanted);
  if (tenant && tenants.length > 1) await scopeToTenant(db, tenant.id);
  return { tenant, config: configFor(config, tenant?.id) };
}
