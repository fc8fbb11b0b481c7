// Where each Azure service lives and which token audience it wants, per cloud: the one place that
// resolves them. `azure.cloud` picks a preset that sets every host and audience together; an
// explicit endpoint in the config still wins (private links, proxies, test fakes). Sources are
// cited in docs/azure-setup.md ("Clouds").
import type { Config } from './config.js';

export const CLOUDS = ['public', 'usgov', 'usgovdod', 'china'] as const;
export type CloudName = (typeof CLOUDS)[number];

interface Preset {
  graph: string;
  authority: string;
  logAnalytics: string;
  logAnalyticsAudience: string;
  ingestionAudience: string;
  arm: string;
  /** Graph serves auditLogs/directoryAudits here (its API page lists global and US Government only). */
  directoryAudits: boolean;
}

const PRESETS: Record<CloudName, Preset> = {
  public: {
    graph: 'https://graph.microsoft.com',
    authority: 'https://login.microsoftonline.com',
    logAnalytics: 'https://api.loganalytics.io/v1',
    logAnalyticsAudience: 'https://api.loganalytics.io',
    ingestionAudience: 'https://monitor.azure.com',
    arm: 'https://management.azure.com',
    directoryAudits: true,
  },
  // GCC High (L4).
  usgov: {
    graph: 'https://graph.microsoft.us',
    authority: 'https://login.microsoftonline.us',
    logAnalytics: 'https://api.loganalytics.us/v1',
    logAnalyticsAudience: 'https://api.loganalytics.us',
    ingestionAudience: 'https://monitor.azure.us',
    arm: 'https://management.usgovcloudapi.net',
    directoryAudits: true,
  },
  // DoD (L5): its own Graph host, the rest shared with usgov.
  usgovdod: {
    graph: 'https://dod-graph.microsoft.us',
    authority: 'https://login.microsoftonline.us',
    logAnalytics: 'https://api.loganalytics.us/v1',
    logAnalyticsAudience: 'https://api.loganalytics.us',
    ingestionAudience: 'https://monitor.azure.us',
    arm: 'https://management.usgovcloudapi.net',
    directoryAudits: true,
  },
  // Operated by 21Vianet.
  china: {
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    authority: 'https://login.chinacloudapi.cn',
    logAnalytics: 'https://api.loganalytics.azure.cn/v1',
    logAnalyticsAudience: 'https://api.loganalytics.azure.cn',
    ingestionAudience: 'https://monitor.azure.cn',
    arm: 'https://management.chinacloudapi.cn',
    directoryAudits: false,
  },
};

// Known Microsoft hosts and the audience their own documentation uses for them. The Log Analytics
// query API answers on api.loganalytics.azure.com too, but tokens are still for api.loganalytics.io.
const GRAPH_HOSTS = new Set(Object.values(PRESETS).map((p) => new URL(p.graph).host));
const LOG_ANALYTICS_AUDIENCE_BY_HOST: Record<string, string> = {
  'api.loganalytics.io': 'https://api.loganalytics.io',
  'api.loganalytics.azure.com': 'https://api.loganalytics.io',
  'api.loganalytics.us': 'https://api.loganalytics.us',
  'api.loganalytics.azure.cn': 'https://api.loganalytics.azure.cn',
};

export interface CloudEndpoints {
  cloud: CloudName;
  graphEndpoint: string;
  graphAudience: string;
  authorityHost: string;
  logAnalyticsEndpoint: string;
  logAnalyticsAudience: string;
  /** Logs Ingestion API (Sentinel upload); the endpoint itself is the DCR's, set in sentinel.ingestionEndpoint. */
  ingestionAudience: string;
  armEndpoint: string;
  armAudience: string;
  directoryAudits: boolean;
}

/** The effective hosts and audiences: preset, then explicit settings over it. */
export function cloudEndpoints(config: Config): CloudEndpoints {
  const a = config.azure;
  const p = PRESETS[a.cloud];
  const graphEndpoint = a.graphEndpoint ?? p.graph;
  const graphHost = new URL(graphEndpoint).host;
  const logAnalyticsEndpoint = a.logAnalyticsEndpoint ?? p.logAnalytics;
  return {
    cloud: a.cloud,
    graphEndpoint,
    // A Microsoft Graph host is its own audience (tokens are not interchangeable between clouds);
    // any other host (a proxy, a fake) stands in for the cloud's Graph.
    graphAudience: GRAPH_HOSTS.has(graphHost) ? new URL(graphEndpoint).origin : new URL(p.graph).origin,
    authorityHost: a.authorityHost ?? p.authority,
    logAnalyticsEndpoint,
    logAnalyticsAudience:
      a.logAnalyticsAudience ??
      LOG_ANALYTICS_AUDIENCE_BY_HOST[new URL(logAnalyticsEndpoint).host] ??
      p.logAnalyticsAudience,
    ingestionAudience: config.sentinel.audience ?? p.ingestionAudience,
    armEndpoint: a.armEndpoint ?? p.arm,
    // Tokens for ARM are always for the cloud's own ARM audience, whatever host answers (a proxy, a fake).
    armAudience: p.arm,
    directoryAudits: p.directoryAudits,
  };
}

/** The `.default` scope of an audience, as every app-only token request asks. */
export const scopeOf = (audience: string): string => `${audience.replace(/\/+$/, '')}/.default`;
