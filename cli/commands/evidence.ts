import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { PimopsError } from '../../core/errors.js';
import { configOf, optString, optionsOf, out, printJson, stderr, wantsJson } from '../context.js';
import { terminalText } from '../../reports/neutralise.js';

export function register(program: Command): void {
  const evidence = program
    .command('evidence')
    .description(
      'the quarterly evidence pack for auditors: report, findings, access, activations, reviews, settings, coverage, control index, manifest',
    )
    .option(
      '--quarter <YYYYQn>',
      'the calendar quarter (UTC), e.g. 2026Q4; a running quarter gives a quarter-to-date pack',
    )
    .option(
      '--out <path>',
      'a new folder, or a file ending in .zip (default: ./pimops-reports/pimops-evidence-<quarter>.zip)',
    )
    .option('--as-of <time>', 'when facts are read (default: the quarter end, or now while it runs)')
    .option('--pseudonymize', 'replace people by stable keyed aliases (key: PIMOPS_PSEUDONYM_KEY)')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf(cmd);
      if (!o.quarter)
        throw new PimopsError('usage', 'evidence needs --quarter YYYYQn (or: pimops evidence verify <path>)');
      const { requireDatabase, Db } = await import('../../core/db.js');
      const { buildPack } = await import('../../reports/evidence/pack.js');
      const { signingKey, writePack } = await import('../../reports/evidence/files.js');
      const config = configOf(o);
      // A bad key is a config error before the store is opened.
      const key = signingKey(config.evidence.signingKeyFile);
      requireDatabase(o.db);
      const db = await Db.openReadOnly(o.db, { memoryLimit: config.storage.memoryLimit });
      let pack;
      try {
        const { applyTenant } = await import('../../core/tenants.js');
        const scoped = await applyTenant(db, config, o.tenant);
        pack = await buildPack(db, scoped.config, {
          quarter: optString(o.quarter) ?? '',
          asOf: o.asOf as string | undefined,
          pseudonymize: Boolean(o.pseudonymize),
          key: process.env.PIMOPS_PSEUDONYM_KEY,
        });
      } finally {
        db.close();
      }
      const target = (o.out as string | undefined) ?? `pimops-reports/pimops-evidence-${pack.manifest.quarter}.zip`;
      const w = writePack(pack, target, key);
      if (wantsJson(o))
        printJson({
          path: w.path,
          scope: pack.manifest.scope,
          files: pack.manifest.files.length,
          manifestSha256: w.manifestSha256,
          signedBy: w.signedBy ?? null,
        });
      else out(`manifest sha256: ${w.manifestSha256}\n`);
      stderr(
        `evidence: ${w.path} (${pack.manifest.scope} ${pack.manifest.quarter}, ${pack.manifest.files.length} files${w.signedBy ? `, signed by key ${w.signedBy.slice(0, 16)}…` : ''})`,
      );
      stderr(
        '  keep the manifest sha256 apart from the pack: without it, verification catches accidental change, not a forger',
      );
    });

  evidence
    .command('verify <path>')
    .description('check an evidence pack (folder or .zip) against its manifest; exit 1 when anything differs')
    .option('--public-key <file>', 'the Ed25519 public key (PEM) the manifest must be signed with')
    .action(async (path: string, _o, cmd: Command) => {
      const o = optionsOf(cmd);
      const { verifyPack } = await import('../../reports/evidence/files.js');
      const trusted = o.publicKey ? readFileSync(optString(o.publicKey) ?? '', 'utf8') : undefined;
      const v = verifyPack(path, trusted);
      if (wantsJson(o)) printJson(v, true);
      else {
        // A pack under verification may have been tampered with: what its manifest says is shown, never obeyed.
        const say = (t: string) => out(terminalText(t, { multiline: true }));
        say(`manifest sha256: ${v.manifestSha256 ?? '(none)'}\n`);
        if (v.manifest)
          say(
            `${v.manifest.scope} ${v.manifest.quarter}, pimops ${v.manifest.pimopsVersion}, generated ${v.manifest.generatedAt}; ${v.files} files\n`,
          );
        if (v.signature !== 'absent')
          say(`signature: ${v.signature}${v.signedBy ? ` (key sha256 ${v.signedBy})` : ''}\n`);
      }
      if (!v.ok) {
        throw new PimopsError('evidence-invalid', `${path} does not verify:\n  ${v.problems.join('\n  ')}`);
      }
      stderr(
        `verified: every file matches the manifest. Compare the manifest sha256 with the one kept when the pack was made${v.signature === 'valid' ? ' (or the signing key with the one you hold)' : ''}.`,
      );
    });
}
