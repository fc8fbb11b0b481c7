import type { Command } from 'commander';
import { configOf, optionsOf, out } from '../context.js';

export function register(program: Command): void {
  program
    .command('explain-request')
    .description(
      'tell one request as a story: who asked, why, who approved and after how long, when it took effect and ended, what was done meanwhile',
    )
    .argument('<key>', 'request key (see pim_requests.request_key)')
    .action(async (key: string, _o, cmd: Command) => {
      const { Db } = await import('../../core/db.js');
      const { explainRequest } = await import('../../reports/explain.js');
      const { applyTenant } = await import('../../core/tenants.js');
      const o = optionsOf(cmd);
      const db = await Db.openReadOnly(o.db);
      try {
        await applyTenant(db, configOf(o), o.tenant);
        out(await explainRequest(db, key));
      } finally {
        db.close();
      }
    });
}
