// A secret registered for redaction (the client secret, the webhook URL, the pseudonym key, tokens)
// is masked in every output, not only on stdout: --out files, reports, the lake. Here an admin pasted
// the client secret into a justification, the way secrets reach audit logs.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng } from '../fixtures/generator/prng.js';
import { pimRecord } from '../fixtures/generator/records.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { registerSecret } from '../core/redact.js';
import { writeReport } from '../reports/report-file.js';
import { exportLake } from '../reports/lake.js';
import { tempDir, testConfig } from './helpers.js';

const SECRET = 'Zx9~secret-value-8Q2v';
const tmp = tempDir('pimops-secrets-');
afterAll(() => tmp.cleanup());

const alice = {
  id: 'a0000000-0000-4000-8000-00000000000a',
  upn: 'alice@golden.example',
  name: 'Alice',
  type: 'User' as const,
};
const tenant = { id: '11111111-1111-4111-8111-111111111111', name: 'Golden' };

describe('registered secrets in every output', () => {
  it('are masked in --out files, reports and the Parquet lake', async () => {
    const d = join(tmp.dir, 's');
    mkdirSync(d, { recursive: true });
    const rng = new Rng(3);
    const at = new Date('2026-10-05T10:00:00Z');
    const rec = pimRecord(
      {
        plane: 'entra_role',
        scope: { id: '/', name: 'Directory' },
        auditType: 'X',
        operationType: 'Update',
        activity: 'Add member to role requested (PIM activation)',
        at,
        role: ROLES.globalAdmin,
        principal: alice,
        actor: alice,
        key: 'k1',
        keyMode: 'detail',
        resultReason: `pasted by mistake: ${SECRET}`,
      },
      tenant,
      rng,
    );
    writeFileSync(join(d, 'audit.ndjson'), JSON.stringify(rec) + '\n');
    const config = testConfig({}, d);
    const db = join(d, 'p.duckdb');
    await importPaths(db, config, [join(d, 'audit.ndjson')]);

    // --out from a child process that registers the secret from its environment, as a real run does.
    const bin = resolve('bin/pimops.js');
    const r = spawnSync(
      process.execPath,
      [bin, '--db', db, 'sql', 'SELECT justification FROM pim_requests', '--out', join(d, 'q.csv')],
      {
        encoding: 'utf8',
        env: { ...process.env, AZURE_CLIENT_SECRET: SECRET },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const csv = readFileSync(join(d, 'q.csv'), 'utf8');
    expect(csv).toContain('pasted by mistake: [redacted]');
    expect(csv).not.toContain(SECRET);

    registerSecret(SECRET);
    const period = {
      from: new Date('2026-10-01T00:00:00Z'),
      to: new Date('2026-11-01T00:00:00Z'),
      asOf: new Date('2026-11-01T00:00:00Z'),
    };
    for (const type of ['md', 'json', 'html'] as const) {
      const path = await writeReport(db, config, period, {
        compare: 0,
        pseudonymize: false,
        out: join(d, `r.${type}`),
        type,
      });
      expect(readFileSync(path, 'utf8')).not.toContain(SECRET);
    }
    const lake = join(d, 'lake');
    await withDb(db, config, (x) => exportLake(x, config, lake));
    const tenantDir = readdirSync(join(lake, 'pim_requests')).find((p) => p.startsWith('tenant_id='))!;
    const requests = join(lake, 'pim_requests', tenantDir);
    const part = readdirSync(requests).find((p) => p.startsWith('event_date='))!;
    const file = readdirSync(join(requests, part)).find((f) => f.endsWith('.parquet'))!;
    const rows = await withDb(db, config, (x) =>
      x.all<{ j: string }>(`SELECT justification AS j FROM read_parquet('${join(requests, part, file)}')`),
    );
    expect(rows.map((x) => x.j)).toEqual(['pasted by mistake: [redacted]']);
  });
});
