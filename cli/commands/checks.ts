import { Option, type Command } from 'commander';
import { PimopsError } from '../../core/errors.js';
import { SEVERITIES, type Severity } from '../../queries/findings.js';
import {
  collect,
  optString,
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
    .option(
      '--rule <id>',
      'only this rule, by its id (repeatable; pimops checks --list names them)',
      collect,
      [] as string[],
    )
    .option('--list', 'list every rule: severity, threshold config keys, doc anchor (needs no database)')
    .option(
      '--framework <id>',
      'only the rules mapped to a framework: cisa-scuba, nist-800-53, cis-m365, iso-27001, soc2 (docs/rules.md)',
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices([
        ...SEVERITIES,
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const o = optionsOf(cmd);
      const { runChecks, summarize, atOrAbove, ruleList, checkExceptions } = await import('../../reports/checks.js');
      const { parseFormat, renderRows } = await import('../../reports/format.js');
      const { requireDatabase } = await import('../../core/db.js');
      const { withTenantDb } = await import('../pipeline.js');
      // Resolved before anything else: an unknown framework is a usage error (exit 2) even with --list.
      let only = o.rule as string[];
      let controls: Map<string, string[]> | undefined;
      if (o.framework !== undefined) {
        const { frameworkOf, mappedTo } = await import('../../queries/controls.js');
        const framework = frameworkOf(optString(o.framework) ?? '');
        controls = new Map(mappedTo(framework.id).map((m) => [m.id, m.controls]));
        const known = new Set(ruleList().map((r) => r.rule));
        const unknown = only.filter((id) => !known.has(id));
        if (unknown.length)
          throw new PimopsError('usage', `No rule '${unknown[0]}'. Known rules: ${[...known].join(', ')}`);
        const mapped = [...controls.keys()].filter((id) => known.has(id));
        const given = only.length > 0;
        only = given ? only.filter((id) => mapped.includes(id)) : mapped;
        if (!only.length)
          throw new PimopsError('usage', `No rule${given ? ' given with --rule' : ''} is mapped to ${framework.id}`);
      }
      if (o.list) {
        const rows = ruleList()
          .filter((r) => !controls || only.includes(r.rule))
          .map((r) => (controls ? { ...r, controls: controls.get(r.rule)!.join(', ') } : r));
        const columns = ['rule', 'severity', 'thresholds', 'doc', ...(controls ? ['controls'] : [])];
        if (wantsJson(o)) printJson(rows, true);
        else out(renderRows(columns, rows, parseFormat(o.format, false, defaultRowFormat())));
        return;
      }
      const config = configOf(o);
      // A bad exception is a config error before anything opens the store.
      checkExceptions(config);
      const period = periodOf(o);
      requireDatabase(o.db);
      const findings = await withTenantDb(o.db, config, o.tenant, (db, tenantConfig) => {
        checkExceptions(tenantConfig);
        return runChecks(db, tenantConfig, period, only);
      });
      const summary = summarize(findings);
      if (wantsJson(o)) {
        const p = { from: period.from.toISOString(), to: period.to.toISOString(), asOf: period.asOf.toISOString() };
        // 2: ruleId replaced checkId; tenantId, excepted and exception were added; summary counts only what counts.
        printJson(
          { schemaVersion: 2, period: p, summary, excepted: findings.filter((f) => f.excepted).length, findings },
          true,
        );
      } else {
        const rows = findings.map((f) => ({
          severity: f.severity,
          rule: f.ruleId,
          excepted: f.excepted ? `until ${f.exception!.expires.slice(0, 10)} (${f.exception!.owner})` : '',
          subject: f.subjectName ?? f.subjectId ?? '',
          detail: f.detail,
        }));
        out(
          renderRows(
            ['severity', 'rule', 'subject', 'detail', 'excepted'],
            rows,
            parseFormat(o.format, false, defaultRowFormat()),
          ),
        );
      }
      const excepted = findings.filter((f) => f.excepted).length;
      stderr(
        `${findings.length} findings: ${[...SEVERITIES]
          .reverse()
          .map((s) => `${summary[s]} ${s}`)
          .join(', ')}${excepted ? `; ${excepted} excepted` : ''}`,
      );
      const failOn = o.failOn as Severity | undefined;
      if (failOn && atOrAbove(findings, failOn).length) {
        throw new PimopsError(
          'threshold-breached',
          `${atOrAbove(findings, failOn).length} finding(s) at or above ${failOn}`,
        );
      }
    });
}
