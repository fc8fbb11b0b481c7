// The sample scheduler files parse, and each runs the command the README documents.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const ini = (text: string) => {
  const sections: Record<string, Record<string, string>> = {};
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) { current = sec[1]; sections[current] = {}; continue; }
    const kv = /^(\w+)=(.+)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit file line: ${raw}`);
    sections[current][kv[1]] = kv[2];
  }
  return sections;
};

describe('deploy samples', () => {
  it('systemd service and timer', () => {
    const service = ini(readFileSync('deploy/systemd/pimops-run.service', 'utf8'));
    expect(service.Service.ExecStart).toMatch(/pimops .*run$/);
    expect(service.Service.Type).toBe('oneshot');
    const timer = ini(readFileSync('deploy/systemd/pimops-run.timer', 'utf8'));
    expect(timer.Timer.OnCalendar).toBe('*-*-01 06:00:00 UTC');
    expect(timer.Install.WantedBy).toBe('timers.target');
  });
  it('crontab lines have five time fields and a pimops command', () => {
    const lines = readFileSync('deploy/crontab', 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines.length).toBe(2);
    for (const l of lines) expect(l).toMatch(/^(\S+\s+){5}.*pimops .*(run|ingest graph)/);
  });
  it('GitHub Actions workflow and Container Apps job are valid YAML with the run step', () => {
    const wf = parse(readFileSync('deploy/github/pimops.yml', 'utf8'));
    expect(wf.on.schedule[0].cron).toBe('0 6 1 * *');
    expect(wf.jobs.report.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toContain('npx pimops --config pimops.config.json run');
    const job = parse(readFileSync('deploy/azure/container-apps-job.yaml', 'utf8'));
    expect(job.properties.configuration.triggerType).toBe('Schedule');
    expect(job.properties.template.containers[0].command[2]).toMatch(/npx pimops .* run;/);
    expect(job.identity.type).toBe('SystemAssigned');
  });
});
