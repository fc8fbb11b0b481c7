import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { gzipSync, constants as zc } from 'node:zlib';
import type { LandingStore, ManifestEntry } from '../core/landing.js';

/**
 * Lands records a source pulled (a Graph page, a Log Analytics slice, a snapshot response) as one
 * gzip NDJSON file, atomically. Named by the sha256 of its content: the same page pulled twice
 * lands once.
 */
export function landRecords(
  store: LandingStore,
  records: unknown[],
  meta: {
    originalPath: string;
    shape: string;
    flavor: NonNullable<ManifestEntry['flavor']>;
    source: NonNullable<ManifestEntry['source']>;
    window?: ManifestEntry['window'];
    endpoint?: string;
    observedAt?: string;
    /** The tenant the pull asked: staging gives it to records that name none (no tid). */
    tenantId?: string;
  },
): { entry: ManifestEntry; isNew: boolean } {
  const text = records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
  const sha256 = createHash('sha256')
    .update(meta.source)
    .update('\0')
    .update(meta.observedAt ?? '')
    .update('\0')
    .update(text)
    // Two tenants' identical answers (an empty list) are two tenants' files.
    .update(meta.tenantId ? `\0tenant:${meta.tenantId}` : '')
    // An empty file is a marker that a kind of data was asked for (the sign-in kinds a store covers):
    // two empty answers of one pull must not collapse into one file under the first one's shape.
    .update(records.length ? '' : `\0${meta.shape}`)
    .digest('hex');
  const known = store.bySha(sha256);
  if (known) return { entry: known, isNew: false };
  const temp = store.tempPath();
  writeFileSync(temp, gzipSync(text, { level: zc.Z_BEST_SPEED }), { mode: 0o600 });
  const entry = store.commit(temp, {
    sha256,
    originalPath: meta.originalPath,
    shape: meta.shape,
    flavor: meta.flavor,
    origin: 'index',
    records: records.length,
    cleanLines: records.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r)),
    source: meta.source,
    window: meta.window,
    endpoint: meta.endpoint,
    observedAt: meta.observedAt,
    tenantId: meta.tenantId,
  });
  return { entry, isNew: true };
}
