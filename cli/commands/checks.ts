import { Option, type Command } from 'commander';
import { PimopsError } from '../../core/errors.js';
import { requireDatabase } from '../../core/db.js';
import { withReadOnlyDb } from '../pipeline.js';
import { runChecks, summarize, atOrAbove, SEVERITIES, type Severity } from '../../reports/checks.js';
import { renderRows } from '../../reports/format.js';
import { parseFormat } from '../../reports/format.js';
import {
  collect,
  configOf,
  defaultRowFormat,
  optionsOf,
  out,
  periodOf,
  printJson,
  stderr,
  wantsJson,
  withPeriodOptions,
} from '../context.js';

export function register(program: Command): void {
  withPeriodOptions(
    program
      .command('checks')
      .description('governance checks and detections: findings by severity (exit 1 at or above --fail-on)'),
    'which snapshot and standing state to judge (default: period end, or now)',
  )
    .option('--check <id>', 'only this check (repeatable)', collect, [] as string[])
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices([...SEVERITIES]),
    )
    .action(async (_o, cmd: Command) => {
      const o = optionsOf(cmd);
      const config = configOf(o);
      const period = periodOf(o);
      requireDatabase(o.db);
      const findings = await withReadOnlyDb(o.db, config, (db) => runChecks(db, config, period, o.check as string[]));
      const summary = summarize(findings);
      if (wantsJson(o)) {
        const p = { from: period.from.toISOString(), to: period.to.toISOString(), asOf: period.asOf.toISOString() };
        printJson({ schemaVersion: 1, period: p, summary, findings }, true);
      } else {
        const rows = findings.map((f) => ({
          severity: f.severity,
          rule: f.ruleId,
          subject: f.subjectName ?? f.subjectId ?? '',
          detail: f.detail,
        }));
        out(renderRows(['severity', 'rule', 'subject', 'detail'], rows, parseFormat(o.format, false, defaultRowFormat())));
      }
      stderr(`${findings.length} findings: ${[...SEVERITIES].reverse().map((s) => `${summary[s]} ${s}`).join(', ')}`);
      const failOn = o.failOn as Severity | undefined;
      if (failOn && atOrAbove(findings, failOn).length) {
        throw new PimopsError('threshold-breached', `${atOrAbove(findings, failOn).length} finding(s) at or above ${failOn}`);
      }
    });
}
