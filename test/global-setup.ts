// Tests run the shipped entry point (bin/pimops.js → dist/): build it once, fresh, before any test
// spawns it, so a test never runs yesterday's compiled code. Type errors are the typecheck's to
// report (tsc still emits, exit 2); anything that stops the emit (exit 1) stops the tests.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { status?: number; stdout?: Buffer };
    if (e.status !== 2) throw err;
    process.stderr.write(`build: type errors (npm run typecheck lists them); the tests run what was emitted\n`);
  }
  execFileSync(process.execPath, ['scripts/copy-sql.mjs'], { stdio: 'inherit' });
}
