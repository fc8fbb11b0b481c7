import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname, basename } from 'node:path';
import { z } from 'zod';
import { PimopsError } from './errors.js';
import { describeIssue, knownKeysOf, secretKeys } from './config-messages.js';
import { parseTime } from './time.js';
import { CLOUDS } from './cloud.js';

function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

// One schema, validated once at the edge; every stage receives the parsed object. Every level is
// strict: a misspelt key would otherwise keep its default without a word.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The per-tenant settings that may differ from the shared ones (validated merged over them, at the edge). */
export const TENANT_OVERRIDES = [
  'azure',
  'breakGlassAccounts',
  'targets',
  'checks',
  'detections',
  'exceptions',
  // A tenant's own workspace: its DCR (ingestionEndpoint, dcrImmutableId). Unset: the shared one.
  'sentinel',
] as const;

const TenantSchema = z.strictObject({
  id: z
    .string()
    .regex(GUID, 'a tenant id (GUID)')
    .transform((v) => v.toLowerCase()),
  // Names the tenant in summaries and its report's file name, and picks its secrets from the environment
  // (AZURE_CLIENT_SECRET__<NAME>): letters, digits, '-' and '_' only.
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
      "letters, digits, '-' and '_' (it names files and environment variables)",
    ),
  // Checked in full once merged over the shared settings (parseConfig): here only their presence.
  azure: z.unknown().optional(),
  breakGlassAccounts: z.unknown().optional(),
  targets: z.unknown().optional(),
  checks: z.unknown().optional(),
  detections: z.unknown().optional(),
  exceptions: z.unknown().optional(),
  sentinel: z.unknown().optional(),
});

export const ConfigSchema = z.strictObject({
  // The tenant a single-tenant store holds when its records do not say (Graph records without a tid detail).
  tenant: z
    .string()
    .regex(GUID, 'a tenant id (GUID)')
    .transform((v) => v.toLowerCase())
    .optional(),
  // Several tenants in one store: each tenant's settings over the shared ones below. Unset: one implicit tenant.
  tenants: z.array(TenantSchema).default([]),
  breakGlassAccounts: z
    .array(z.string().min(1))
    .default([])
    .describe('UPNs or object ids of emergency-access accounts, reported apart from standing access'),
  targets: z
    .strictObject({
      selfActivationSeconds: z.number().positive().default(300),
      approvalSeconds: z.number().positive().default(1800),
    })
    .prefault({}),
  approvals: z
    .strictObject({
      denialRateFlag: z.number().min(0).max(1).default(0.2),
      minDecisions: z.number().int().min(1).default(5),
    })
    .prefault({}),
  correlation: z
    .strictObject({
      // How far back a keyless completion may look for its request (PIM's default approval window is one day).
      pairingWindowHours: z.number().positive().default(24),
    })
    .prefault({}),
  azure: z
    .strictObject({
      // Which @azure/identity credential; its values come from the environment it already knows
      // (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, …), never from this file.
      credential: z
        .enum(['clientSecret', 'clientCertificate', 'managedIdentity', 'workloadIdentity', 'githubOidc'])
        .default('clientSecret'),
      // One setting for every host, authority and audience (core/cloud.ts); the explicit ones below override it.
      cloud: z.enum(CLOUDS).default('public'),
      graphEndpoint: z.url().optional(),
      authorityHost: z.url().optional(),
      logAnalyticsEndpoint: z.url().optional(),
      // The query API's token audience is not its host (api.loganalytics.azure.com wants api.loganalytics.io).
      logAnalyticsAudience: z.url().optional(),
      // Azure Resource Manager (PIM for Azure resources); the cloud preset's host when unset.
      armEndpoint: z.url().optional(),
      workspaceId: z.string().optional(),
      // Unset: read from the tenant's licences (subscribedSkus: 30 days with P1/P2, else 7), else 30 with a note.
      auditRetentionDays: z.number().int().positive().optional(),
      // Graph's reports limit (directoryAudits, signIns): 5 requests per 10 s per app and tenant.
      requestsPerWindow: z.number().int().positive().default(5),
      windowSeconds: z.number().positive().default(10),
      // Users with signInActivity have their own, far smaller limit: 10 requests per minute per app and tenant.
      signInActivityRequestsPerWindow: z.number().int().positive().default(10),
      signInActivityWindowSeconds: z.number().positive().default(60),
      // Beta signIns with signInEventTypes (interactive and non-interactive); opt-in because beta can change.
      betaSignIns: z.boolean().default(false),
      // Directory and role-management endpoints (snapshots) have a far larger budget.
      directoryRequestsPerSecond: z.number().positive().default(10),
      overlapMinutes: z.number().min(0).default(60),
      pageSize: z.number().int().min(1).max(1000).default(1000),
      // Only PIM, its Core Directory companions and Access Reviews approvals (the metrics need no more).
      pimOnly: z.boolean().default(false),
      maxRetries: z.number().int().min(0).max(10).default(6),
      requestTimeoutSeconds: z.number().positive().default(120),
      // --all-tenants: how many tenants are pulled at once. Graph's limits are per app and tenant, so each
      // tenant has its own throttle; this bounds the connections and memory of one run.
      parallelTenants: z.number().int().min(1).max(32).default(4),
    })
    .prefault({}),
  checks: z
    .strictObject({
      // Tier-0 beyond the shipped list (Global Administrator, Privileged Role Administrator, Privileged
      // Authentication Administrator, Conditional Access Administrator, Hybrid Identity Administrator).
      tier0Roles: z.array(z.string()).default([]),
      // Azure role definitions that are tier 0 at subscription or management-group scope: Owner,
      // User Access Administrator and Role Based Access Control Administrator (their well-known ids,
      // Microsoft Learn "Azure built-in roles"): each can grant itself or anyone every other role there.
      tier0AzureRoles: z.array(z.string().regex(/^[0-9a-f-]{36}$/i, 'an Azure role definition id (GUID)')).default([
        '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', // Owner
        '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', // User Access Administrator
        'f58310d9-a9f6-439a-9e8d-f62e7b41a168', // Role Based Access Control Administrator
      ]),
      maxActivationHours: z.number().positive().default(4),
      tier0MaxActivationHours: z.number().positive().default(2),
      minApprovers: z.number().int().min(1).default(2),
      requireTicket: z.boolean().default(false),
      mutualApprovalDays: z.number().positive().default(30),
      // Members of the security team (UPNs or object ids): approvals by them are classified as such.
      securityTeam: z.array(z.string()).default([]),
      breakGlassMaxCredentialAgeDays: z.number().positive().default(365),
      reviewMaxIntervalMonths: z.number().positive().default(3),
      lowerTierReviewMaxIntervalMonths: z.number().positive().default(6),
      expiredApprovalRateFlag: z.number().min(0).max(1).default(0.2),
      slowApprovalSeconds: z.number().positive().default(1800),
      // From this many days before an exception expires, the exception_expiring rule says so.
      exceptionWarningDays: z.number().positive().default(14),
    })
    .prefault({}),
  detections: z
    .strictObject({
      // Parity with PIM's built-in alerts (their configurable thresholds), and past them.
      unusedRoleDays: z.number().positive().default(30),
      staleSignInDays: z.number().positive().default(90),
      globalAdminCountThreshold: z.number().int().min(1).default(5),
      globalAdminShareThreshold: z.number().min(0).max(1).default(0.1),
      frequentActivations: z.number().int().min(2).default(3),
      frequentWindowMinutes: z.number().positive().default(60),
      // A PIM request from an address the admin has not used in this many days (new_request_address).
      newAddressDays: z.number().int().min(1).default(30),
      // Microsoft's PIM security-operations guidance: eligible adds per actor in 60 minutes.
      eligibleAddsPerHour: z.number().int().min(1).default(4),
      eligibleAddsPerHourPrivileged: z.number().int().min(1).default(2),
      businessHours: z
        .strictObject({
          start: z.number().min(0).max(24).default(7),
          end: z.number().min(0).max(24).default(19),
          timeZone: z.string().refine(isIanaZone, 'an IANA time zone such as Europe/Berlin or UTC').default('UTC'),
          weekdays: z.array(z.number().int().min(1).max(7)).default([1, 2, 3, 4, 5]),
        })
        .prefault({}),
      // Right-sizing and quality.
      shortActivationMinutes: z.number().positive().default(10),
      rightSizingShare: z.number().min(0).max(1).default(0.5),
      rightSizingMinActivations: z.number().int().min(1).default(5),
      justificationMinLength: z.number().int().min(0).default(10),
      boilerplateRepeats: z.number().int().min(2).default(10),
      // after_hours_activation judges each admin against their own habits: an activation is usual when at
      // least minShare of their activations in the historyDays before it began within toleranceHours of
      // the same local time of day, on the same kind of day (business day or not). With fewer than
      // minHistory earlier activations there is no habit yet, and businessHours judge instead.
      usualHours: z
        .strictObject({
          historyDays: z.number().positive().default(90),
          minHistory: z.number().int().min(1).default(3),
          minShare: z.number().min(0).max(1).default(0.05),
          toleranceHours: z.number().min(0).max(12).default(2),
        })
        .prefault({}),
    })
    .prefault({}),
  sentinel: z
    .strictObject({
      // The data collection rule's logs ingestion endpoint (kind Direct: properties.endpoints.logsIngestion)
      // and its immutable id (dcr-…), both outputs of the generated tables-and-dcr template.
      ingestionEndpoint: z.url().optional(),
      dcrImmutableId: z
        .string()
        .regex(/^dcr-[0-9a-f]+$/, 'the DCR immutable id looks like dcr-0123abcd…')
        .optional(),
      // Token audience of the ingestion API; unset, it follows azure.cloud (https://monitor.azure.us, …).
      audience: z.url().optional(),
      maxConcurrency: z.number().int().min(1).max(10).default(2),
      // What the workbook and analytics rules call the watchlists the export writes.
      watchlistPrefix: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
        .default('PIM'),
    })
    .prefault({}),
  // Findings accepted for a time. Whether `rule` names a known rule is checked where findings are
  // computed (reports/checks.ts): core cannot see the rule list in queries/.
  exceptions: z
    .array(
      z.strictObject({
        rule: z.string().min(1).describe('a rule id (docs/rules.md)'),
        subject: z.string().min(1).describe("a finding's subject_id, matched exactly"),
        reason: z.string().trim().min(1),
        owner: z.string().trim().min(1),
        expires: z.string().refine((v) => {
          try {
            parseTime(v, 'expires');
            return true;
          } catch {
            return false;
          }
        }, 'a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 time with a zone'),
      }),
    )
    .default([]),
  run: z
    .strictObject({
      // What the unattended job pulls before it reports; [] = only what is already landed.
      sources: z.array(z.enum(['graph', 'snapshot', 'log-analytics'])).default([]),
      reportDir: z.string().default('./pimops-reports'),
      reportFormats: z.array(z.enum(['html', 'md', 'json'])).default(['html', 'md', 'json']),
      compare: z.number().int().min(0).max(24).default(2),
      failOn: z.enum(['info', 'low', 'medium', 'high', 'critical']).default('high'),
      maxDataAgeHours: z.number().positive().default(48),
      lockWaitSeconds: z.number().min(0).default(300),
      lakeDir: z.string().optional(),
      // Sentinel export after the reports: files in this folder, and with sentinelUpload the new and
      // changed rows sent through the Logs Ingestion API (sentinel.* settings).
      sentinelDir: z.string().optional(),
      sentinelUpload: z.boolean().default(false),
      // Mail the report after it is written: Graph sendMail as the mailbox `from` (application permission
      // Mail.Send, restricted to that mailbox: docs/azure-setup.md), summary in the body, HTML attached.
      mail: z
        .strictObject({
          from: z.string().min(1).describe('the sending mailbox: UPN or object id'),
          to: z.array(z.email()).min(1),
          subjectPrefix: z.string().max(60).default('PIM report'),
        })
        .optional(),
    })
    .prefault({}),
  report: z
    .strictObject({
      // A rule that fires for at least this share of the people it judges (its population, at least
      // minPopulation of them) is one line in the report, "fires for 40 of 41 admins: tune …", not a list.
      saturationShare: z.number().min(0).max(1).default(0.5),
      minPopulation: z.number().int().min(1).default(5),
      // The report's line of eligible and active assignments that end within this many days.
      expiringDays: z.number().positive().default(30),
    })
    .prefault({}),
  // Endpoints of a pull whose failure is a known, accepted gap (a permission not granted on purpose):
  // a warning in the summary instead of a failed command. A licence the tenant lacks is always one.
  acknowledgedGaps: z.array(z.string().min(1)).default([]),
  sql: z
    .strictObject({
      // Ad hoc SQL (sql, shell): a statement running longer is stopped; the spill to disk is capped.
      timeoutSeconds: z.number().positive().default(300),
      maxTempSize: z
        .string()
        .regex(/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i, 'a size such as 10GB')
        .default('10GB'),
    })
    .prefault({}),
  storage: z
    .strictObject({
      landingDir: z
        .string()
        .optional()
        .describe('Where landed files and the manifest live; default: next to the database, <db>.landing'),
      // DuckDB's buffer limit, not the process's: the process peaks 0.5-0.8 GB above it (a 10M-record
      // import: 1.5GB peaked at 2.33 GB in 198 s, 1GB at 1.67 GB in 217 s; docs/benchmarks.md).
      memoryLimit: z
        .string()
        .regex(/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i, 'a size such as 1.5GB, 800MB or 2GiB')
        .refine((v) => parseFloat(v) > 0, 'must be more than zero')
        .default('1GB'),
      // Off by default: landed files are the system of record. When set, `pimops prune` (and `run`)
      // delete landed files older than this; their records stay in the database, but a rebuild can
      // no longer reproduce them.
      retainLandingDays: z.number().positive().optional(),
    })
    .prefault({}),
  evidence: z
    .strictObject({
      // A path to an Ed25519 private key (PEM) that signs evidence packs' manifests; the key itself is
      // never in the config. PIMOPS_EVIDENCE_KEY_FILE overrides it.
      signingKeyFile: z.string().min(1).optional(),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;

export const DEFAULT_CONFIG_FILE = 'pimops.config.json';

export interface TenantConfig {
  id: string;
  name: string;
  config: Config;
}

// Each parsed config's tenants, resolved once at the edge (kept beside the object, not in it, so the
// parsed config stays what the schema says).
const resolvedTenants = new WeakMap<Config, TenantConfig[]>();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (a list, a value) in the override replaces the shared one. */
function mergeOver(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeOver(base[k], v);
  return out;
}

function parseOne(raw: unknown, source: string, prefix: (string | number)[] = []): Config {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const lines = result.error.issues.flatMap((i) =>
      describeIssue({ ...i, path: [...prefix, ...i.path] }, knownKeysOf(ConfigSchema, i.path)),
    );
    throw new PimopsError('config-invalid', `Invalid ${source}:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function parseConfig(raw: unknown, source = 'config'): Config {
  const secrets = secretKeys(raw);
  if (secrets.length) throw new PimopsError('config-invalid', `Invalid ${source}:\n${secrets.join('\n')}`);
  const config = parseOne(raw, source);
  const shared = isPlainObject(raw) ? { ...raw, tenants: [] } : {};
  const seen = new Map<string, string>();
  const tenants = config.tenants.map((t, i): TenantConfig => {
    for (const [what, v] of [
      ['id', t.id],
      ['name', t.name.toLowerCase()],
    ] as const) {
      if (seen.has(`${what}:${v}`))
        throw new PimopsError('config-invalid', `Invalid ${source}:\ntenants[${i}].${what}: '${v}' is listed twice`);
      seen.set(`${what}:${v}`, t.name);
    }
    const own = Object.fromEntries(TENANT_OVERRIDES.filter((k) => t[k] !== undefined).map((k) => [k, t[k]]));
    const merged = mergeOver({ ...shared, tenant: t.id }, own);
    return { id: t.id, name: t.name, config: parseOne(merged, source, ['tenants', i]) };
  });
  resolvedTenants.set(config, tenants);
  for (const t of tenants) resolvedTenants.set(t.config, []);
  return config;
}

/** The tenants the configuration names (none: a single-tenant configuration). */
export function configuredTenants(config: Config): TenantConfig[] {
  return resolvedTenants.get(config) ?? [];
}

/** The configuration that applies to one tenant: its own settings over the shared ones. */
export function configFor(config: Config, tenantId: string | null | undefined): Config {
  if (!tenantId) return config;
  return (
    configuredTenants(config).find((t) => t.id === tenantId.toLowerCase())?.config ?? { ...config, tenant: tenantId }
  );
}

/** Loads `--config FILE`, else ./pimops.config.json when present, else the defaults. */
export function loadConfig(file?: string): Config {
  const path = file ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!path) return parseConfig({});
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PimopsError(
      'config-unreadable',
      `Cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PimopsError('config-invalid', `Config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, `config file ${path}`);
}

export function landingDirFor(dbPath: string, config: Config): string {
  if (config.storage.landingDir) return resolve(config.storage.landingDir);
  const abs = resolve(dbPath);
  return resolve(dirname(abs), basename(abs).replace(/\.duckdb$/, '') + '.landing');
}
