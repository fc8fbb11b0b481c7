// The deploy samples name commands, options, paths, environment variables and config values: each is
// checked against the package itself (the real CLI's declarations, the config schema, the defaults,
// the Dockerfile's install), so a rename anywhere turns this red instead of a customer's job.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Command } from 'commander';
import { buildProgram } from '../cli/index.js';
import { ConfigSchema, landingDirFor, parseConfig } from '../core/config.js';

const ini = (text: string) => {
  const sections: Record<string, Record<string, string>> = {};
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      current = sec[1];
      sections[current] = {};
      continue;
    }
    const kv = /^(\w+)=(.+)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit file line: ${raw}`);
    sections[current][kv[1]] = kv[2];
  }
  return sections;
};

/** Each `pimops …` invocation in a text: its words up to a shell operator. */
function invocations(text: string): string[][] {
  const out: string[][] = [];
  const code = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .map((l) => l.replace(/\s#\s.*$/, '')) // a trailing comment
    .join('\n');
  for (const m of code.matchAll(/(?:^|[ \t/"])pimops((?:[ \t]+[^\s;&|>"]+)+)/gm)) out.push(m[1].trim().split(/[ \t]+/));
  return out;
}

/** Checks one invocation against the real program: known (sub)commands, known options, values where needed. */
function checkInvocation(words: string[]): string[] {
  const program = buildProgram();
  const problems: string[] = [];
  let cmd: Command = program;
  const options = (c: Command) => c.options.map((o) => o.long ?? '');
  const known = new Set(options(program));
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.startsWith('--')) {
      const opt = [...cmd.options, ...program.options].find((o) => o.long === w);
      if (!opt) problems.push(`${words.join(' ')}: unknown option ${w}`);
      else if (opt.required || opt.optional) i++; // takes a value
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w);
    if (sub) {
      cmd = sub;
      for (const o of options(sub)) known.add(o);
    } else if (cmd.commands.length) problems.push(`${words.join(' ')}: no command '${w}'`);
  }
  if (cmd === program) problems.push(`${words.join(' ')}: names no command`);
  return problems;
}

/** Environment variables pimops itself reads anywhere in its source. */
function envNamesRead(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && !e.name.endsWith('.test.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\b(AZURE_[A-Z_]+|PIMOPS_[A-Z_]+|ACTIONS_[A-Z_]+)\b/g))
          names.add(m[1]);
      }
    }
  };
  for (const d of ['core', 'ingest', 'reports', 'cli']) walk(d);
  return names;
}

const SAMPLES = [
  'deploy/crontab',
  'deploy/systemd/pimops-run.service',
  'deploy/github/pimops.yml',
  'deploy/azure/container-apps-job.yaml',
];

describe('deploy samples', () => {
  it('systemd service and timer run the installed pimops', () => {
    const service = ini(readFileSync('deploy/systemd/pimops-run.service', 'utf8'));
    expect(service.Service.ExecStart).toMatch(/^\/usr\/local\/bin\/pimops .*run$/);
    expect(service.Service.Type).toBe('oneshot');
    const timer = ini(readFileSync('deploy/systemd/pimops-run.timer', 'utf8'));
    expect(timer.Timer.OnCalendar).toBe('*-*-01 06:00:00 UTC');
    expect(timer.Install.WantedBy).toBe('timers.target');
  });

  it('crontab lines have five time fields and run the installed pimops', () => {
    const lines = readFileSync('deploy/crontab', 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines.length).toBe(2);
    for (const l of lines) expect(l).toMatch(/^(\S+\s+){5}.*\/usr\/local\/bin\/pimops .*(run|ingest graph)/);
  });

  it('every pimops invocation in a sample names real commands and options', () => {
    const all = SAMPLES.flatMap((f) => invocations(readFileSync(f, 'utf8')).map((w) => ({ f, w })));
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.flatMap(({ f, w }) => checkInvocation(w).map((p) => `${f}: ${p}`))).toEqual([]);
  });

  it('the checker catches a wrong command and a wrong option', () => {
    expect(checkInvocation(['--config', 'x.json', 'runn'])).not.toEqual([]);
    expect(checkInvocation(['ingest', 'graph', '--sinse', '30d'])).not.toEqual([]);
    expect(checkInvocation(['--config', 'x.json', 'ingest', 'graph', '--since', '30d'])).toEqual([]);
  });

  it('every environment variable a sample sets is one pimops reads', () => {
    const read = envNamesRead();
    for (const f of SAMPLES) {
      const named = [...readFileSync(f, 'utf8').matchAll(/\b(AZURE_[A-Z_]+|PIMOPS_[A-Z_]+)\b/g)].map((m) => m[1]);
      expect(
        named.filter((n) => !read.has(n)),
        f,
      ).toEqual([]);
    }
  });

  it('GitHub Actions: federated sign-in, the store kept as an artifact, the report folder uploaded, actions pinned', () => {
    const text = readFileSync('deploy/github/pimops.yml', 'utf8');
    const wf = parse(text);
    expect(wf.on.schedule[0].cron).toBe('0 6 1 * *');
    expect(wf.permissions['id-token']).toBe('write');
    const steps = wf.jobs.report.steps as {
      uses?: string;
      run?: string;
      env?: Record<string, string>;
      with?: Record<string, unknown>;
    }[];
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/@v\d+\.\d+\.\d+$/);
    expect(steps.some((s) => s.uses?.startsWith('actions/cache'))).toBe(false);
    const run = steps.find((s) => s.run?.includes('pimops') && s.run.includes(' run'))!;
    expect(Object.keys(run.env!)).not.toContain('AZURE_CLIENT_SECRET');
    // The credential it documents exists, and needs exactly the variables the step sets.
    expect(text).toContain('azure.credential "githubOidc"');
    expect(() => parseConfig({ azure: { credential: 'githubOidc' } })).not.toThrow();
    // The report folder is the run's default, the store is the default database and its landing folder.
    const defaults = ConfigSchema.parse({});
    const uploads = steps.filter((s) => s.uses?.startsWith('actions/upload-artifact')).map((s) => String(s.with!.path));
    expect(uploads[0].replace(/\/$/, '')).toBe(defaults.run.reportDir.replace(/^\.\//, ''));
    const store = uploads[1]
      .trim()
      .split('\n')
      .map((p) => p.trim().replace(/\/$/, ''));
    expect(store).toEqual(['pimops.duckdb', landingDirFor('pimops.duckdb', defaults).split('/').pop()]);
    const download = steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    expect(download.with!.name).toBe('pimops-store');
  });

  it('Container Apps job runs the image the Dockerfile builds, with its installed pimops', () => {
    const job = parse(readFileSync('deploy/azure/container-apps-job.yaml', 'utf8'));
    expect(job.properties.configuration.triggerType).toBe('Schedule');
    expect(job.identity.type).toBe('SystemAssigned');
    const c = job.properties.template.containers[0];
    expect(c.image).toMatch(/\/pimops:\d+\.\d+\.\d+$/);
    expect(c.command[2]).toMatch(/&& pimops .* run;/);
    const docker = readFileSync('Dockerfile', 'utf8');
    expect(docker).toContain('ln -s ../lib/node_modules/pimops/bin/pimops.js /usr/local/bin/pimops');
    expect(docker).toMatch(/ENTRYPOINT \["pimops"\]/);
    expect(JSON.parse(readFileSync('package.json', 'utf8')).bin.pimops).toBe('bin/pimops.js');
    expect(c.volumeMounts[0].mountPath).toBe('/data');
    expect(docker).toContain('WORKDIR /data');
  });
});
