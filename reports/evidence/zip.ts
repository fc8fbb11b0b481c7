// The pack as one ZIP: entries sorted by name, every entry dated 1980-01-01 00:00 (the DOS epoch)
// and compressed at one fixed level, so the same files always give the same bytes.
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { PimopsError } from '../../core/errors.js';

// fflate writes the DOS time from the Date's local-time fields: a Date built from local fields is
// 1980-01-01 00:00 in every time zone, where a UTC instant would shift with the machine's zone.
const DOS_EPOCH = () => new Date(1980, 0, 1, 0, 0, 0);

export function zipFiles(files: Map<string, Buffer>): Uint8Array {
  const entries: Zippable = {};
  for (const name of [...files.keys()].sort()) entries[name] = [files.get(name)!, { mtime: DOS_EPOCH(), level: 6 }];
  return zipSync(entries);
}

export function unzipFiles(data: Uint8Array, where: string): Map<string, Buffer> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data);
  } catch (err) {
    throw new PimopsError(
      'evidence-invalid',
      `${where} is not a readable ZIP file (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  return new Map(
    Object.entries(entries)
      .filter(([name]) => !name.endsWith('/'))
      .map(([name, bytes]) => [name, Buffer.from(bytes)]),
  );
}
