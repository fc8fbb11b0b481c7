import type { Command } from 'commander';
import { configOf, optionsOf, out, periodOf, printJson, stderr, wantsJson } from '../context.js';

export function register(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('run')
    .description(
      'the scheduled job: ingest → transform → checks → reports → exports → notification; exit 1 when breached, failed or stale',
    )
    .option('--period <YYYY-MM>', 'the month to report (default: the last full month)')
    .option('--as-of <time>', 'as-of time (default: period end, or now)')
    .action(async (_o, cmd: Command) => {
      const { runJob } = await import('../run.js');
      const o = optionsOf(cmd);
      const config = configOf(o);
      const period = periodOf(o);
      const r = await runJob(o.db, config, period, (e) =>
        stderr(JSON.stringify({ at: new Date().toISOString(), ...e })),
      );
      const span = `${period.from.toISOString().slice(0, 10)}..${period.to.toISOString().slice(0, 10)}`;
      const line = `status: ${r.status} period ${span}${r.reasons.length ? ` (${r.reasons.join('; ')})` : ''}`;
      if (wantsJson(o)) {
        const p = { from: period.from, to: period.to, asOf: period.asOf };
        printJson({ status: r.status, period: p, reasons: r.reasons, steps: r.steps, reports: r.reports });
      } else out(line + '\n');
      // The summary line is the job's answer: exit 1 without a second error message.
      if (r.status !== 'ok') setExitCode(1);
    });
}
