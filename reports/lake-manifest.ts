// The lake's own bookkeeping, read back as untrusted: _manifest.json (checked against a strict schema,
// ignored with a warning when it fails), the partition keys the lake makes, and which folders an export
// may delete or write (never outside the table folder, never through a link).
import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { PimopsError } from '../core/errors.js';

export interface PartitionInfo {
  rows: number;
  checksum: string;
}
export interface TableManifest {
  rows: number;
  partitions: Record<string, PartitionInfo>;
  minTime: string | null;
  maxTime: string | null;
  columns: { name: string; type: string }[];
}
export interface LakeManifest {
  schemaVersion: number;
  exportedAt: string;
  partitionColumn: 'event_date';
  tables: Record<string, TableManifest>;
}

/** The partition of rows without a time (see the `coalesce(event_date, ...)` below). */
export const UNKNOWN_PARTITION = 'unknown';

/** A key the lake makes: a real calendar day (strftime output) or the unknown partition. */
export function isPartitionKey(key: string): boolean {
  if (key === UNKNOWN_PARTITION) return true;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return false;
  const d = new Date(`${key}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === key;
}

const partitionKey = z.string().refine(isPartitionKey, { message: 'not a YYYY-MM-DD day or unknown' });
const manifestSchema = z.strictObject({
  schemaVersion: z.number().int(),
  exportedAt: z.string(),
  partitionColumn: z.literal('event_date'),
  tables: z.record(
    z.string(),
    z.strictObject({
      rows: z.number().int().nonnegative(),
      partitions: z.record(
        partitionKey,
        z.strictObject({ rows: z.number().int().nonnegative(), checksum: z.string() }),
      ),
      minTime: z.string().nullable(),
      maxTime: z.string().nullable(),
      columns: z.array(z.strictObject({ name: z.string(), type: z.string() })),
    }),
  ),
});

/** The previous export's manifest, or undefined (a full export) when it is absent or not one the lake wrote. */
export function readManifest(dir: string, warnings: string[]): LakeManifest | undefined {
  const p = join(dir, '_manifest.json');
  if (!existsSync(p)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    warnings.push(`${p} is not JSON (${(err as Error).message}); ignored it and exported every partition.`);
    return undefined;
  }
  const checked = manifestSchema.safeParse(parsed);
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

/** A partition folder the export may delete, or why not: its key, a path that stays inside the
 *  table folder (checked after resolving, not trusted from the key) and a real folder, not a link. */
export function deletablePartition(tableDir: string, key: string): { path: string } | { refused: string } {
  const path = resolve(tableDir, `event_date=${key}`);
  const rel = relative(tableDir, path);
  if (
    !isPartitionKey(key) ||
    !rel ||
    rel.startsWith('..') ||
    isAbsolute(rel) ||
    rel.includes('/') ||
    rel.includes('\\')
  ) {
    return { refused: `not a partition key: ${JSON.stringify(key)}` };
  }
  try {
    if (lstatSync(path).isSymbolicLink()) return { refused: `${path} is a symbolic link` };
  } catch {
    return { path }; // already gone
  }
  return { path };
}

/** A table folder that is a link would send writes and deletions elsewhere. */
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
