import { createReadStream, createWriteStream, readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip, createGzip, gunzipSync, gzipSync, constants as zc } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform, Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { PimopsError } from '../../core/errors.js';
import type { LandedBatch, Source } from '../source.js';
import { timed } from '../../core/profile.js';
import {
  recogniseHead,
  recordsOfDocument,
  flavorOf,
  ndjsonFlavor,
  LineScanner,
  LOG_ANALYTICS_DYNAMIC,
} from './recognise.js';
import { parse as parseCsv } from 'csv-parse/sync';

const HEAD_BYTES = 64 * 1024;
const GZIP_LEVEL = 1; // landing favours speed; DuckDB reads either transparently

export interface FileImportOptions {
  paths: string[];
}

/** Lists files under the given paths, recursively and sorted, so an import is deterministic. */
export function expandPaths(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new PimopsError('input-not-found', `No such file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        walk(join(p, name));
      }
    } else if (st.isFile()) {
      out.push(resolve(p));
    }
  };
  paths.forEach(walk);
  return out;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function readHead(path: string): { bytes: Buffer; size: number } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return { bytes: buf.subarray(0, n), size: statSync(path).size };
  } finally {
    closeSync(fd);
  }
}

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

async function decompressedHead(
  path: string,
  gz: boolean,
  raw: Buffer,
  size: number,
): Promise<{ text: string; complete: boolean }> {
  if (!gz) return { text: raw.toString('utf8'), complete: raw.length >= size };
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total >= HEAD_BYTES) {
        stream.destroy();
        return { text: Buffer.concat(chunks).toString('utf8'), complete: false };
      }
    }
  } catch (err) {
    throw new LandingRefusal('corrupt_gzip', `gzip data is damaged: ${(err as Error).message}`);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), complete: true };
}

class LandingRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Lands NDJSON as received (gzip bytes kept byte for byte; plain text compressed), scanning lines on the way. */
async function landNdjson(
  store: LandingStore,
  path: string,
  gz: boolean,
  flavor: 'graph' | 'diagnostic' | 'log_analytics',
) {
  const temp = store.tempPath();
  const hash = createHash('sha256');
  const scanner = new LineScanner();
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  if (gz) {
    // Keep the received bytes; decompress them a second time only to count and check lines.
    await pipeline(createReadStream(path), hashing, createWriteStream(temp, { mode: 0o600 }));
    try {
      await pipeline(
        createReadStream(temp),
        createGunzip(),
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            scanner.push(chunk);
            cb();
          },
        }),
      );
    } catch (err) {
      throw new LandingRefusal('corrupt_gzip', `gzip data is damaged: ${(err as Error).message}`);
    }
  } else {
    const scan = new Transform({
      transform(chunk: Buffer, _e, cb) {
        scanner.push(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(
      createReadStream(path),
      hashing,
      scan,
      createGzip({ level: GZIP_LEVEL }),
      createWriteStream(temp, { mode: 0o600 }),
    );
  }
  scanner.finish();
  return { temp, sha256: hash.digest('hex'), records: scanner.nonBlank, cleanLines: scanner.clean, flavor };
}

/** Splits a JSON document (Graph page, array, records envelope; or Event Hub bodies one per line)
 *  into one record per line. Lossless in content; the pointer becomes the element's index. */
function splitDocument(text: string, kind: 'document' | 'eventhub_lines'): { shape: string; items: unknown[] } | null {
  if (kind === 'document') {
    let doc: unknown;
    try {
      doc = JSON.parse(text.startsWith('\ufeff') ? text.slice(1) : text);
    } catch {
      return null;
    }
    const r = recordsOfDocument(doc);
    if ('reject' in r) throw new LandingRefusal('unrecognized', r.reject);
    return r;
  }
  const items: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let body: unknown;
    try {
      body = JSON.parse(line);
    } catch {
      items.push({ __unparsed_line: line });
      continue;
    }
    const r = recordsOfDocument(body);
    if ('reject' in r) items.push(body);
    else items.push(...r.items);
  }
  return { shape: 'eventhub_lines', items };
}

type Landed = Omit<ManifestEntry, 'seq' | 'landedFile' | 'landedAt'> & { temp: string };

async function landFile(store: LandingStore, path: string): Promise<Landed> {
  try {
    return await landRecognised(store, path);
  } catch (err) {
    if (err instanceof LandingRefusal) return refuse(store, path, err.reason, err.detail);
    throw err;
  }
}

async function landRecognised(store: LandingStore, path: string): Promise<Landed> {
  const { bytes, size } = readHead(path);
  const gz = isGzip(bytes);
  const base = { originalPath: path };
  let head;
  try {
    head = await decompressedHead(path, gz, bytes, size);
  } catch (err) {
    if (err instanceof LandingRefusal) return refuse(store, path, err.reason, err.detail);
    throw err;
  }
  const kind = recogniseHead(head.text, head.complete);
  if (kind === 'empty') return refuse(store, path, 'empty', 'the file holds no records');
  if (kind === 'unrecognized') {
    return refuse(
      store,
      path,
      'unrecognized',
      'not JSON, NDJSON, a Graph / Event Hub / storage export, or a Log Analytics AuditLogs CSV',
    );
  }
  if (kind === 'la_csv') return landLogAnalyticsCsv(store, path, gz);
  if (kind === 'ndjson') {
    const flavor = ndjsonFlavor(head.text);
    const landed = await landNdjson(
      store,
      path,
      gz,
      flavor === 'diagnostic' ? 'diagnostic' : flavor === 'log_analytics' ? 'log_analytics' : 'graph',
    );
    return { ...base, ...landed, shape: 'ndjson', origin: 'line' };
  }
  // A document is read whole: it is one JSON value, so there is no line to stream by.
  const raw = await readWhole(path, gz);
  const sha256 = createHash('sha256').update(raw.bytes).digest('hex');
  let split: ReturnType<typeof splitDocument>;
  try {
    split = splitDocument(raw.text, kind);
  } catch (err) {
    if (err instanceof LandingRefusal) return refuse(store, path, err.reason, err.detail);
    throw err;
  }
  if (split === null) {
    // Not one JSON value after all: read it line by line, so each broken line is named on its own.
    const landed = await landNdjson(store, path, gz, 'graph');
    return { ...base, ...landed, shape: 'ndjson', origin: 'line' };
  }
  const lines = split.items.map((item) =>
    typeof item === 'object' && item !== null && '__unparsed_line' in item
      ? String((item as Record<string, unknown>).__unparsed_line)
      : JSON.stringify(item),
  );
  if (split.shape.startsWith('snapshot:')) {
    // A saved Graph state response: observed when the file was written, as far as pimops can tell.
    const temp = store.tempPath();
    await pipeline(
      Readable.from([Buffer.from(lines.join('\n') + (lines.length ? '\n' : ''))]),
      createGzip({ level: GZIP_LEVEL }),
      createWriteStream(temp, { mode: 0o600 }),
    );
    return {
      ...base,
      temp,
      sha256,
      shape: split.shape,
      flavor: 'snapshot',
      source: 'snapshot',
      endpoint: split.shape.slice('snapshot:'.length),
      observedAt: statSync(path).mtime.toISOString(),
      origin: 'index',
      records: lines.length,
      cleanLines: true,
    };
  }
  const flavors = split.items.map(flavorOf);
  const flavor = flavors.includes('diagnostic')
    ? 'diagnostic'
    : flavors.includes('log_analytics')
      ? 'log_analytics'
      : 'graph';
  const temp = store.tempPath();
  await pipeline(
    Readable.from([Buffer.from(lines.join('\n') + (lines.length ? '\n' : ''))]),
    createGzip({ level: GZIP_LEVEL }),
    createWriteStream(temp, { mode: 0o600 }),
  );
  return {
    ...base,
    temp,
    sha256,
    shape: split.shape,
    flavor,
    origin: 'index',
    records: lines.length,
    cleanLines: lines.every((l) => l.length > 0 && l[0] === '{'),
  };
}

/** A Log Analytics CSV export: one row per record, dynamic columns parsed from their JSON text. */
async function landLogAnalyticsCsv(store: LandingStore, path: string, gz: boolean): Promise<Landed> {
  const raw = await readWhole(path, gz);
  let rows: Record<string, string>[];
  try {
    rows = parseCsv<Record<string, string>>(raw.text, {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
    });
  } catch (err) {
    throw new LandingRefusal('malformed_csv', `the CSV cannot be read: ${(err as Error).message}`);
  }
  const records = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => {
        if (v === '') return [k, null];
        if (LOG_ANALYTICS_DYNAMIC.includes(k)) {
          try {
            return [k, JSON.parse(v)];
          } catch {
            return [k, v];
          }
        }
        return [k, v];
      }),
    ),
  );
  const lines = records.map((r) => JSON.stringify(r));
  const temp = store.tempPath();
  await pipeline(
    Readable.from([Buffer.from(lines.join('\n') + (lines.length ? '\n' : ''))]),
    createGzip({ level: GZIP_LEVEL }),
    createWriteStream(temp, { mode: 0o600 }),
  );
  return {
    originalPath: path,
    temp,
    sha256: createHash('sha256').update(raw.bytes).digest('hex'),
    shape: 'log_analytics_csv',
    flavor: 'log_analytics',
    origin: 'index',
    records: lines.length,
    cleanLines: true,
  };
}

async function readWhole(path: string, gz: boolean): Promise<{ bytes: Buffer; text: string }> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path)) chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  return { bytes, text: (gz ? gunzipSync(bytes) : bytes).toString('utf8') };
}

/** A refused file is still landed (as received, compressed) so its quarantine row points at something. */
async function refuse(store: LandingStore, path: string, reason: string, detail: string) {
  const { bytes } = await readWhole(path, false);
  const temp = store.tempPath();
  await pipeline(
    Readable.from([isGzip(bytes) ? bytes : gzipSync(bytes, { level: zc.Z_BEST_SPEED })]),
    createWriteStream(temp, { mode: 0o600 }),
  );
  return {
    originalPath: path,
    temp,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    shape: 'refused',
    flavor: null,
    origin: 'line' as const,
    records: 0,
    cleanLines: false,
    rejectReason: reason,
    rejectDetail: detail,
  };
}

export const fileSource: Source<FileImportOptions> = {
  name: 'files',
  async land(store, options, progress): Promise<LandedBatch> {
    store.ensure();
    const files = expandPaths(options.paths);
    const offered: ManifestEntry[] = [];
    const landed: ManifestEntry[] = [];
    for (const [i, path] of files.entries()) {
      // Hashing is cheap next to landing: a file already landed (same bytes) is not landed again.
      const known = store.bySha(await hashFile(path));
      if (known) {
        offered.push(known);
        progress?.(`skipped ${i + 1}/${files.length} ${path} (already landed)`);
        continue;
      }
      const { temp, ...entry } = await timed(`land ${path}`, () => landFile(store, path));
      const committed = store.commit(temp, entry);
      offered.push(committed);
      landed.push(committed);
      progress?.(`landed ${i + 1}/${files.length} ${path}`);
    }
    return { offered, landed };
  },
};
