// The lake's own bookkeeping, read back as untrusted: _manifest.json (checked against a strict schema,
// ignored with a warning when it fails), the partition keys the lake makes, and which folders an export
// may delete or write (never outside the table folder, never through a link).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { PimopsError } from '../core/errors.js';

export interface PartitionInfo {
  rows: number;
  checksum: string;
}
export interface TableManifest {
  rows: number;
  /** By partition key: `<tenant key>/<day key>` (layout 2), a day key (layout 1). */
  partitions: Record<string, PartitionInfo>;
  minTime: string | null;
  maxTime: string | null;
  columns: { name: string; type: string }[];
}
export interface LakeManifest {
  schemaVersion: number;
  exportedAt: string;
  partitionColumns: ['tenant_id', 'event_date'];
  /** Each tenant folder's key and the tenant id it holds (null: rows whose tenant is unknown). */
  tenants: Record<string, string | null>;
  tables: Record<string, TableManifest>;
}
/** The manifest of the layout before tenants (schema version 1): day partitions straight under each table. */
export interface LegacyLakeManifest {
  schemaVersion: 1;
  exportedAt: string;
  partitionColumn: 'event_date';
  tables: Record<string, TableManifest>;
}

/** The day partition of rows without a time (see the `coalesce(event_date, ...)` in lake.ts). */
export const UNKNOWN_PARTITION = 'unknown';
/** The tenant folder of rows whose tenant is unknown (tenant_id NULL): `tenant_id=__unknown`. */
export const UNKNOWN_TENANT = '__unknown';

/** A day key the lake makes: a real calendar day (strftime output) or the unknown partition. */
export function isDayKey(key: string): boolean {
  if (key === UNKNOWN_PARTITION) return true;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return false;
  const d = new Date(`${key}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === key;
}

// A tenant id kept as its folder's name: lower-case letters, digits, '-' and '_' (a GUID as the store
// keeps it), not starting with '_' (the lake's own names), at most 64. Lower case only: on a
// case-insensitive file system (Windows, macOS) two ids differing in case would share one folder.
const PLAIN_TENANT = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SLUGGED_TENANT = /^__x-[a-z0-9-]{0,32}-[0-9a-f]{16}$/;

/**
 * The folder key of a tenant id (`tenant_id=<key>`). Tenant ids come from records and are hostile: an
 * id that is not plain becomes `__x-<its letters and digits>-<16 hex of its SHA-256>`, so no id can
 * name a path, and two ids never share a folder. NULL (tenant unknown) is `__unknown`.
 */
export function tenantKey(id: string | null): string {
  if (id === null) return UNKNOWN_TENANT;
  if (PLAIN_TENANT.test(id)) return id;
  const letters = id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  return `__x-${letters}-${createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 16)}`;
}

/** A tenant key the lake makes. */
export function isTenantKey(key: string): boolean {
  return key === UNKNOWN_TENANT || PLAIN_TENANT.test(key) || SLUGGED_TENANT.test(key);
}

/** A partition key the lake makes: `<tenant key>/<day key>`. */
export function isPartitionKey(key: string): boolean {
  const parts = key.split('/');
  return parts.length === 2 && isTenantKey(parts[0]) && isDayKey(parts[1]);
}

const partitionInfo = z.strictObject({ rows: z.number().int().nonnegative(), checksum: z.string() });
const tableSchema = (key: z.ZodType<string>) =>
  z.strictObject({
    rows: z.number().int().nonnegative(),
    partitions: z.record(key, partitionInfo),
    minTime: z.string().nullable(),
    maxTime: z.string().nullable(),
    columns: z.array(z.strictObject({ name: z.string(), type: z.string() })),
  });
const manifestSchema = z.strictObject({
  schemaVersion: z.literal(2),
  exportedAt: z.string(),
  partitionColumns: z.tuple([z.literal('tenant_id'), z.literal('event_date')]),
  tenants: z.record(z.string().refine(isTenantKey, { message: 'not a tenant key' }), z.string().nullable()),
  tables: z.record(
    z.string(),
    tableSchema(z.string().refine(isPartitionKey, { message: 'not a <tenant>/<YYYY-MM-DD or unknown> key' })),
  ),
});
const legacySchema = z.strictObject({
  schemaVersion: z.literal(1),
  exportedAt: z.string(),
  partitionColumn: z.literal('event_date'),
  tables: z.record(
    z.string(),
    tableSchema(z.string().refine(isDayKey, { message: 'not a YYYY-MM-DD day or unknown' })),
  ),
});

/** The previous export's manifest (this layout's or the one before tenants), or undefined (a full export)
 *  when it is absent or not one the lake wrote. */
export function readManifest(dir: string, warnings: string[]): LakeManifest | LegacyLakeManifest | undefined {
  const p = join(dir, '_manifest.json');
  if (!existsSync(p)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    warnings.push(`${p} is not JSON (${(err as Error).message}); ignored it and exported every partition.`);
    return undefined;
  }
  const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
  const checked = (version === 1 ? legacySchema : manifestSchema).safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    warnings.push(
      `${p} is not a manifest this lake wrote (${issue.path.map(String).join('.')}: ${issue.message}); ignored it, ` +
        'exported every partition and deleted none.',
    );
    return undefined;
  }
  return checked.data;
}

/** A path made of the given folder names under tableDir, checked after resolving (not trusted from the
 *  names): it stays inside, one folder per name, and is not a link. */
function deletable(tableDir: string, names: string[], key: string): { path: string } | { refused: string } {
  const path = resolve(tableDir, ...names);
  const rel = relative(tableDir, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel) || rel !== names.join(sep) || rel.includes('\\')) {
    return { refused: `not a partition key: ${JSON.stringify(key)}` };
  }
  for (let i = 1; i <= names.length; i++) {
    const p = resolve(tableDir, ...names.slice(0, i));
    try {
      if (lstatSync(p).isSymbolicLink()) return { refused: `${p} is a symbolic link` };
    } catch {
      return { path }; // already gone
    }
  }
  return { path };
}

/** A partition folder (`tenant_id=T/event_date=D`) the export may delete, or why not: its key is one the
 *  lake makes and its path stays inside the table folder, through no link. */
export function deletablePartition(tableDir: string, key: string): { path: string } | { refused: string } {
  if (!isPartitionKey(key)) return { refused: `not a partition key: ${JSON.stringify(key)}` };
  const [tenant, day] = key.split('/');
  return deletable(tableDir, [`tenant_id=${tenant}`, `event_date=${day}`], key);
}

/** A day partition of the layout before tenants (`event_date=D`), which an export over such a lake removes. */
export function deletableLegacyPartition(tableDir: string, day: string): { path: string } | { refused: string } {
  if (!isDayKey(day)) return { refused: `not a partition key: ${JSON.stringify(day)}` };
  return deletable(tableDir, [`event_date=${day}`], day);
}

/** A folder that is a link would send writes and deletions elsewhere. */
export function refuseLinkedFolder(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) {
      throw new PimopsError(
        'output-unwritable',
        `Cannot write ${path}: it is a symbolic link, and pimops never writes through one.`,
      );
    }
  } catch (err) {
    if (err instanceof PimopsError) throw err;
  }
}

/** Parquet files DuckDB wrote carry the umask's mode; audit data is the owner's only. */
export function privateFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = lstatSync(full);
    if (st.isDirectory()) privateFiles(full);
    else if (st.isFile()) chmodSync(full, 0o600);
  }
}
