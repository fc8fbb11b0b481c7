// How far back Graph keeps audit records for this tenant: 7 days on Entra ID Free, 30 days with P1
// or P2. The licence is read from subscribedSkus where the permissions allow (Organization.Read.All
// or Directory.Read.All); otherwise the pull's summary says that its coverage assumes P1/P2.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../../core/config.js';

// Service plans that grant Entra ID P1 or P2 (they ride inside suites such as Microsoft 365 E3/E5
// and EMS, so plans are matched, not SKUs). Microsoft Learn: "Product names and service plan
// identifiers for licensing".
export const PREMIUM_SERVICE_PLANS: Record<string, string> = {
  '41781fb2-bc02-4b7c-bd55-b576c07bb09d': 'AAD_PREMIUM (Entra ID P1)',
  'eec0eb4f-6444-4f95-aba0-50c24d67f998': 'AAD_PREMIUM_P2 (Entra ID P2)',
};

export const FREE_RETENTION_DAYS = 7;
export const PREMIUM_RETENTION_DAYS = 30;

export interface Retention {
  days: number;
  basis: 'config' | 'licence' | 'assumed';
  /** What the summary says about it. */
  note: string;
}

interface Sku {
  skuPartNumber?: string;
  capabilityStatus?: string;
  servicePlans?: { servicePlanId?: string; servicePlanName?: string; provisioningStatus?: string }[];
}

export async function auditRetention(client: Client, config: Config): Promise<Retention> {
  const set = config.azure.auditRetentionDays;
  if (set !== undefined) return { days: set, basis: 'config', note: `azure.auditRetentionDays = ${set}` };
  let skus: Sku[];
  try {
    const body = (await client.api('/subscribedSkus').get()) as { value?: unknown };
    if (!Array.isArray(body?.value)) throw new Error('the answer has no list of SKUs');
    skus = body.value as Sku[];
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    return {
      days: PREMIUM_RETENTION_DAYS,
      basis: 'assumed',
      note:
        `coverage assumes Entra ID P1/P2 (${PREMIUM_RETENTION_DAYS} days of audit log): the licence could not be read ` +
        `(subscribedSkus ${e.statusCode ?? ''} ${String(e.message ?? err).split('\n')[0]}`.trimEnd() +
        '; grant Organization.Read.All, or set azure.auditRetentionDays). Entra ID Free keeps 7 days.',
    };
  }
  // A suspended or deleted subscription grants nothing; Warning is the grace period, still licensed.
  const granting = skus
    .filter((s) => s.capabilityStatus === 'Enabled' || s.capabilityStatus === 'Warning')
    .flatMap((s) =>
      (s.servicePlans ?? [])
        .filter((p) => p.servicePlanId && PREMIUM_SERVICE_PLANS[p.servicePlanId.toLowerCase()])
        .map((p) => `${PREMIUM_SERVICE_PLANS[p.servicePlanId!.toLowerCase()]} in ${s.skuPartNumber ?? 'a SKU'}`),
    );
  if (granting.length) {
    return {
      days: PREMIUM_RETENTION_DAYS,
      basis: 'licence',
      note: `${PREMIUM_RETENTION_DAYS} days of audit log (${[...new Set(granting)].join(', ')})`,
    };
  }
  return {
    days: FREE_RETENTION_DAYS,
    basis: 'licence',
    note: `${FREE_RETENTION_DAYS} days of audit log: no subscribed SKU carries an Entra ID P1/P2 service plan (Entra ID Free)`,
  };
}
