// Sign-ins of the break-glass accounts (Graph auditLogs/signIns): any use of those accounts must be
// seen, and most use is a sign-in. Same pacing and landing as the audit pull.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { landRecords } from '../landed-records.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function pullBreakGlassSignIns(
  client: Client,
  store: LandingStore,
  accounts: string[],
  from: Date,
  to: Date,
): Promise<{ records: number; landed: ManifestEntry[] }> {
  const landed: ManifestEntry[] = [];
  let records = 0;
  for (const account of accounts) {
    const who = GUID.test(account)
      ? `userId eq '${account.toLowerCase()}'`
      : `userPrincipalName eq '${account.toLowerCase().replaceAll("'", "''")}'`;
    const filter = `createdDateTime ge ${iso(from)} and createdDateTime le ${iso(to)} and ${who}`;
    let next: string | undefined = `/auditLogs/signIns?$filter=${encodeURIComponent(filter)}&$top=1000`;
    while (next) {
      const page = (await client.api(next).get()) as { 'value'?: unknown[]; '@odata.nextLink'?: string };
      const items = page.value ?? [];
      const { entry, isNew } = landRecords(store, items, {
        originalPath: `graph:signIns:${account}:${from.toISOString()}..${to.toISOString()}`,
        shape: 'snapshot:signIns',
        flavor: 'snapshot',
        source: 'graph',
        endpoint: 'signIns',
        observedAt: to.toISOString(),
      });
      if (isNew && items.length) landed.push(entry);
      records += items.length;
      next = page['@odata.nextLink'];
    }
  }
  return { records, landed };
}
