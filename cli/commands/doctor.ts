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
    .option('--all-tenants', 'check every tenant the configuration lists, each with its own credential')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf(cmd);
      const { runDoctor } = await import('../../ingest/doctor.js');
      const { pullTargets } = await import('../pulls.js');
      const { tenantName } = await import('../tenant-outcomes.js');
      const config = configOf(o);
      const targets = pullTargets(config, { tenant: o.tenant, allTenants: Boolean(o.allTenants) });
      const many = targets.length > 1 || Boolean(o.tenant || o.allTenants);
      const results = [];
      // One tenant after another: each signs in on its own, and one that fails never hides the next.
      for (const t of targets) results.push({ tenant: t, checks: await runDoctor(t.config, t.env) });
      if (wantsJson(o))
        printJson(
          many
            ? results.map((r) => ({ tenant: r.tenant.id ?? null, name: r.tenant.name ?? null, checks: r.checks }))
            : results[0].checks,
          true,
        );
      else
        for (const r of results) {
          if (many) out(terminalText(`${tenantName(r.tenant)}\n`));
          for (const c of r.checks)
            out(
              terminalText(
                `${many ? '  ' : ''}${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}${c.fix ? `\n    → ${c.fix}` : ''}\n`,
                { multiline: true },
              ),
            );
        }
      const all = results.flatMap((r) => r.checks);
      const failed = all.filter((c) => !c.ok).length;
      if (failed) {
        const tenants = results.filter((r) => r.checks.some((c) => !c.ok)).map((r) => tenantName(r.tenant));
        throw new PimopsError(
          'azure-permission',
          `${failed} of ${all.length} checks failed${many ? ` (${tenants.join(', ')})` : ''}`,
        );
      }
    });
}
