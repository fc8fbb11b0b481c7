// Sign-ins of the break-glass accounts (Graph auditLogs/signIns): any use of those accounts must be
// seen, and most use is a sign-in. Same pacing and landing as the audit pull.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LandingStore, ManifestEntry } from '../../core/landing.js';
import { landRecords } from '../landed-records.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The kinds of sign-in a pull covers, as landed shapes: the break-glass check reads which a store holds. */
export const SIGN_IN_SHAPES = {
  interactiveUser: 'snapshot:signIns',
  nonInteractiveUser: 'snapshot:signIns:nonInteractive',
} as const;

export async function pullBreakGlassSignIns(
  client: Client,
  store: LandingStore,
  accounts: string[],
  from: Date,
  to: Date,
  // v1.0 signIns hold interactive sign-ins only; non-interactive ones (a refresh token, a script) are
  // in beta signIns with signInEventTypes, asked only when azure.betaSignIns is on (beta can change).
  opts: { beta?: boolean; tenantId?: string } = {},
): Promise<{ records: number; landed: ManifestEntry[]; kinds: string[] }> {
  const landed: ManifestEntry[] = [];
  let records = 0;
  const kinds: (keyof typeof SIGN_IN_SHAPES)[] = opts.beta
    ? ['interactiveUser', 'nonInteractiveUser']
    : ['interactiveUser'];
  for (const kind of kinds) {
    for (const account of accounts) {
      const who = GUID.test(account)
        ? `userId eq '${account.toLowerCase()}'`
        : `userPrincipalName eq '${account.toLowerCase().replaceAll("'", "''")}'`;
      const time = `createdDateTime ge ${iso(from)} and createdDateTime le ${iso(to)}`;
      const filter =
        kind === 'interactiveUser'
          ? `${time} and ${who}`
          : `${time} and ${who} and signInEventTypes/any(t: t eq '${kind}')`;
      let next: string | undefined = `/auditLogs/signIns?$filter=${encodeURIComponent(filter)}&$top=1000`;
      let first = true;
      while (next) {
        const request = client.api(next);
        // A nextLink carries its version in the URL; only the first request picks one.
        if (first && kind !== 'interactiveUser') request.version('beta');
        first = false;
        const page = (await request.get()) as { 'value'?: unknown[]; '@odata.nextLink'?: string };
        const items = (page.value ?? []).map((r) =>
          kind === 'interactiveUser' || (r as { signInEventTypes?: unknown }).signInEventTypes
            ? r
            : { ...(r as object), signInEventTypes: [kind] },
        );
        const { entry, isNew } = landRecords(store, items, {
          originalPath: `graph:signIns:${kind}:${account}:${from.toISOString()}..${to.toISOString()}`,
          shape: SIGN_IN_SHAPES[kind],
          flavor: 'snapshot',
          source: 'graph',
          endpoint: 'signIns',
          observedAt: to.toISOString(),
          tenantId: opts.tenantId,
        });
        if (isNew && items.length) landed.push(entry);
        records += items.length;
        next = page['@odata.nextLink'];
      }
    }
  }
  return { records, landed, kinds };
}
