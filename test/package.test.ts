// What a user installs is what the container installs: `npm pack`, then the Dockerfile's final-stage
// RUN lines run outside Docker (no engine here) into an empty prefix, offline from the cache `npm ci`
// filled. The installed pimops runs the demo with no checkout, and holds nothing of the build.
import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './helpers.js';

const tmp = tempDir('pimops-pack-');
afterAll(() => tmp.cleanup());

/** The RUN lines of the last stage, each split on && into commands. */
function finalStageRuns(dockerfile: string): string[][] {
  const lines = dockerfile.split('\n');
  const from = lines
    .map((l, i) => (/^FROM\s/i.test(l) ? i : -1))
    .filter((i) => i >= 0)
    .pop()!;
  return lines
    .slice(from)
    .filter((l) => /^RUN\s/i.test(l))
    .map((l) =>
      l
        .replace(/^RUN\s+/i, '')
        .split('&&')
        .map((c) => c.trim()),
    );
}

describe('the package', () => {
  it('installs on the Node it declares: no runtime dependency asks for a newer one', () => {
    // @azure/arm-resources-subscriptions 3.0.0 declares node >=22; npm only warns, engine-strict refuses.
    const ours = Number(/>=\s*(\d+)/.exec(JSON.parse(readFileSync('package.json', 'utf8')).engines.node)![1]);
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
    };
    const tooNew = Object.entries(lock.packages)
      .filter(([path, p]) => path && !p.dev && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => {
        const range = (p.engines as { node: string }).node;
        // Each alternative's lower bound: a package is fine when one alternative admits our major.
        return !range
          .split('||')
          .some((alt) => Number(/>=?\s*v?(\d+)/.exec(alt)?.[1] ?? /\^?(\d+)/.exec(alt)?.[1] ?? 0) <= ours);
      })
      .map(([path, p]) => `${path}: node ${(p.engines as { node: string }).node}`);
    expect(tooNew).toEqual([]);
  });

  it('packs only what runs, installs offline like the container does, and runs the demo without a checkout', () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const packDir = join(tmp.dir, 'pkg');
    mkdirSync(packDir);
    // npm pack runs `prepare`, which rebuilds dist/ in place while the other test files run the CLI
    // from it (a half-written module failed one of them). dist/ is built once by the global setup:
    // pack it with the lifecycle scripts off, running prepack and postpack (the shrinkwrap) ourselves.
    const script = (name: string) => execFileSync(npm, ['run', name], { stdio: 'ignore' });
    script('prepack');
    let packed: { filename: string; files: { path: string }[] }[];
    try {
      packed = JSON.parse(
        execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as typeof packed;
    } finally {
      script('postpack');
    }
    const files = packed[0].files.map((f) => f.path);
    const allowed =
      /^(bin\/pimops\.js|npm-shrinkwrap\.json|dist\/.+\.(js|sql)|docs\/.+|README\.md|LICENSE|package\.json)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    for (const needed of [
      'dist/cli/index.js',
      'dist/transform/schema.sql',
      'dist/queries/active_hours.sql',
      'dist/fixtures/generator/index.js',
      'LICENSE',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.some((f) => f.startsWith('test/') || f.endsWith('.ts'))).toBe(false);

    const prefix = join(tmp.dir, 'usr-local');
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    const runs = finalStageRuns(readFileSync(resolve('Dockerfile'), 'utf8'));
    // Lines that shape only the image (its user, /data, removing the tarball) do not run here.
    const imageOnly = /^(rm -rf \/pkg|useradd |mkdir -p \/data|chown )/;
    const steps = runs.filter((cmds) => !cmds.every((c) => imageOnly.test(c)));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    for (const cmds of steps) {
      const line = cmds
        .join(' && ')
        .replaceAll('/usr/local', prefix)
        .replaceAll('/pkg/', `${packDir}/`)
        // Offline: the cache `npm ci` filled must be enough, as in a build with no network.
        .replace(/\bnpm ci\b/, 'npm ci --offline');
      execFileSync('sh', ['-c', line], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
    }

    const bin = join(prefix, 'bin', 'pimops');
    const installed = join(prefix, 'lib', 'node_modules', 'pimops');
    expect(existsSync(bin)).toBe(true);
    const deps = readdirSync(join(installed, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'vitest', 'eslint', 'prettier']) expect(deps).not.toContain(dev);

    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const work = join(tmp.dir, 'work');
    mkdirSync(work);
    const demo = spawnSync(bin, ['demo', '--through', '2026-10', '--admins', '4'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('Time to activate');
    expect(existsSync(join(work, 'pimops.duckdb'))).toBe(true);
  }, 600_000);
});
