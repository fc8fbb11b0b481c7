// The analytics rules as files: the Azure-Sentinel repository's YAML layout, and one ARM template of
// Microsoft.SecurityInsights alert rules scoped to the workspace.
import { stringify as toYaml } from 'yaml';
import { API_VERSIONS, WORKSPACE_SCOPE } from './templates.js';
import { stableGuid, type AnalyticsRule } from './rules.js';

const isoDuration = (d: string) => (d.endsWith('h') ? `PT${d.slice(0, -1).toUpperCase()}H` : `P${d.slice(0, -1)}D`);

export const RULE_TAGS = ['PIM', 'pimops'];
/** Bumped whenever a rule's content changes, so Sentinel offers the update. */
export const RULE_VERSION = '1.2.0';

/** The Azure-Sentinel repository's YAML layout (Detections/*.yaml). */
export function ruleYaml(r: AnalyticsRule): string {
  return toYaml(
    {
      id: stableGuid(r.name),
      name: r.name,
      description: r.description,
      severity: r.severity,
      status: 'Available',
      requiredDataConnectors: r.dataTypes,
      queryFrequency: r.frequency,
      queryPeriod: r.period,
      triggerOperator: 'gt',
      triggerThreshold: 0,
      tactics: r.tactics,
      relevantTechniques: r.techniques,
      tags: RULE_TAGS,
      query: r.query,
      entityMappings: r.entities,
      customDetails: r.customDetails,
      alertDetailsOverride: r.alertDetails,
      eventGroupingSettings: { aggregationKind: 'AlertPerResult' },
      version: RULE_VERSION,
      kind: 'Scheduled',
    },
    { lineWidth: 0 },
  );
}

/** One ARM template with every rule, as Microsoft.SecurityInsights alert rules scoped to the workspace. */
export function rulesArm(rules: AnalyticsRule[]): object {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      workspaceName: { type: 'string', metadata: { description: 'the Sentinel-enabled Log Analytics workspace' } },
    },
    resources: rules.map((r) => ({
      type: 'Microsoft.SecurityInsights/alertRules',
      apiVersion: API_VERSIONS.securityInsights,
      scope: WORKSPACE_SCOPE,
      name: stableGuid(r.name),
      kind: 'Scheduled',
      properties: {
        displayName: r.name,
        description: r.description,
        severity: r.severity,
        enabled: true,
        query: r.query,
        queryFrequency: isoDuration(r.frequency),
        queryPeriod: isoDuration(r.period),
        triggerOperator: 'GreaterThan',
        triggerThreshold: 0,
        suppressionDuration: 'PT5H',
        suppressionEnabled: false,
        tactics: r.tactics,
        techniques: r.techniques,
        entityMappings: r.entities,
        customDetails: r.customDetails,
        alertDetailsOverride: r.alertDetails,
        eventGroupingSettings: { aggregationKind: 'AlertPerResult' },
      },
    })),
  };
}
