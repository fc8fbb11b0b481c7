import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  openSync,
  fsyncSync,
  closeSync,
  rmSync,
  truncateSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { PimopsError } from './errors.js';

/**
 * The landing store is the system of record: every file as received (or split losslessly to one
 * record per line), gzip-compressed, named by the sha256 of the bytes received (with the tenant, when
 * imported or pulled for one: the same bytes are then each tenant's own), listed in an
 * append-only manifest. DuckDB tables are derived from it and can be rebuilt at any time.
 */
export interface ManifestEntry {
  seq: number;
  sha256: string;
  originalPath: string;
  landedFile: string; // relative to the landing dir
  shape: string; // what the file was: ndjson, graph_page, json_array, records_envelope, eventhub_lines, …
  flavor: 'graph' | 'diagnostic' | 'log_analytics' | 'snapshot' | null; // which staging model reads its records; null = nothing to stage
  source?: 'file' | 'graph' | 'log_analytics' | 'snapshot';
  /** The tenant a pull asked (Graph records name theirs only in the tid detail, and not always). */
  tenantId?: string;
  /** For pulls: the time window asked for, and for snapshots the endpoint and when it was observed. */
  window?: { from: string; to: string };
  endpoint?: string;
  observedAt?: string;
  origin: 'line' | 'index'; // landed line n = source line n, or = element n-1 of the source document
  records: number;
  cleanLines: boolean; // no blank/indented lines or BOM: the fast typed read's row numbers are line numbers
  rejectReason?: string; // file-level refusal (empty, corrupt_gzip, unrecognized, …)
  rejectDetail?: string;
  landedAt: string;
}

export class LandingStore {
  readonly manifestPath: string;
  private entries: ManifestEntry[] | undefined;
  private bySha256: Map<string, ManifestEntry> | undefined;
  private tailChecked = false;

  constructor(readonly dir: string) {
    this.manifestPath = join(dir, 'manifest.ndjson');
  }

  ensure(): void {
    mkdirSync(join(this.dir, 'files'), { recursive: true, mode: 0o700 });
  }

  manifest(): ManifestEntry[] {
    if (this.entries) return this.entries;
    if (!existsSync(this.manifestPath)) return (this.entries = []);
    const lines = readFileSync(this.manifestPath, 'utf8').split('\n');
    const entries: ManifestEntry[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        entries.push(JSON.parse(line) as ManifestEntry);
      } catch {
        // A torn last line is what a crash mid-append leaves; anything else is damage worth stopping for.
        if (i < lines.length - 2)
          throw new PimopsError(
            'landing-corrupt',
            `Landing manifest ${this.manifestPath} line ${i + 1} is not valid JSON.`,
          );
      }
    });
    return (this.entries = entries);
  }

  /** Sequence numbers of landed files deleted by retention (their manifest lines stay, as history). */
  pruned(): Set<number> {
    const p = join(this.dir, 'pruned.ndjson');
    if (!existsSync(p)) return new Set();
    return new Set(
      readFileSync(p, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    );
  }

  /** Deletes landed files landed before `cutoff`, and records that they are gone. */
  prune(cutoff: Date): ManifestEntry[] {
    const done = this.pruned();
    const victims = this.manifest().filter((e) => !done.has(e.seq) && new Date(e.landedAt) < cutoff);
    for (const e of victims) {
      rmSync(this.absolute(e), { force: true });
      appendFileSync(
        join(this.dir, 'pruned.ndjson'),
        JSON.stringify({ seq: e.seq, prunedAt: new Date().toISOString() }) + '\n',
        { mode: 0o600 },
      );
    }
    return victims;
  }

  bySha(sha256: string): ManifestEntry | undefined {
    // Looked up once per file landed: an index, not a scan of a manifest that only grows.
    this.bySha256 ??= new Map(this.manifest().map((e) => [e.sha256, e]));
    return this.bySha256.get(sha256);
  }

  absolute(entry: Pick<ManifestEntry, 'landedFile'>): string {
    return join(this.dir, entry.landedFile);
  }

  tempPath(): string {
    this.ensure();
    return join(this.dir, 'files', `.incoming-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  }

  /** Moves a fully written temp file into place, then records it: a crash before the append leaves
   *  an unlisted file that the next import of the same input simply writes again. */
  commit(tempFile: string, entry: Omit<ManifestEntry, 'seq' | 'landedFile' | 'landedAt'>): ManifestEntry {
    const existing = this.bySha(entry.sha256);
    if (existing) {
      rmSync(tempFile, { force: true });
      return existing;
    }
    const landedAbs = join(this.dir, 'files', `${entry.sha256}.ndjson.gz`);
    renameSync(tempFile, landedAbs);
    const manifest = this.manifest();
    const full: ManifestEntry = {
      ...entry,
      seq: (manifest.at(-1)?.seq ?? 0) + 1,
      landedFile: relative(this.dir, landedAbs),
      landedAt: new Date().toISOString(),
    };
    if (!this.tailChecked) {
      this.repairTornTail();
      this.tailChecked = true;
    }
    const fd = openSync(this.manifestPath, 'a', 0o600);
    try {
      appendFileSync(fd, JSON.stringify(full) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    manifest.push(full);
    this.bySha256?.set(full.sha256, full);
    return full;
  }

  private repairTornTail(): void {
    if (!existsSync(this.manifestPath)) return;
    const text = readFileSync(this.manifestPath, 'utf8');
    // A crash mid-append leaves a partial last line: drop it (its file is landed again on re-import).
    if (text.length > 0 && !text.endsWith('\n'))
      truncateSync(this.manifestPath, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
  }
}
