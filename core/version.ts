// The package's own version, for --version and the evidence a run leaves: read from the package.json
// above this module, whether it runs compiled (dist/core/) or from source (core/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function pimopsVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (!existsSync(p)) continue;
    const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'pimops' && pkg.version) return pkg.version;
  }
  return '0.0.0-unknown';
}
