import type { Command } from 'commander';
import { PimopsError } from '../../core/errors.js';
import { configOf, optionsOf, out, printJson, wantsJson } from '../context.js';
import { terminalText } from '../../reports/neutralise.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the Azure setup: token, and each endpoint pimops uses, with what is missing and how to grant it',
    )
    .action(async (_o, cmd: Command) => {
      const o = optionsOf(cmd);
      const { runDoctor } = await import('../../ingest/doctor.js');
      const checks = await runDoctor(configOf(o));
      if (wantsJson(o)) printJson(checks, true);
      else
        for (const c of checks)
          out(
            terminalText(`${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}${c.fix ? `\n    → ${c.fix}` : ''}\n`, {
              multiline: true,
            }),
          );
      const failed = checks.filter((c) => !c.ok).length;
      if (failed) throw new PimopsError('azure-permission', `${failed} of ${checks.length} checks failed`);
    });
}
