// The building blocks of the Sentinel workbooks: items, the time-range parameter, the standing-access
// tiles, and the gallery wrapper.
import type { Config } from '../../core/config.js';
import { LATEST } from './tables.js';
import { stableGuid } from './rules.js';

export interface WorkbookItem {
  type: number;
  name: string;
  content: Record<string, unknown>;
  customWidth?: string;
}
export interface Workbook {
  version: 'Notebook/1.0';
  items: WorkbookItem[];
  fallbackResourceIds: string[];
  fromTemplateId: string;
  $schema: string;
}

export const RANGE = { start: '{TimeRange:start}', end: '{TimeRange:end}' };

export const text = (name: string, markdown: string): WorkbookItem => ({ type: 1, name, content: { json: markdown } });

export function query(name: string, title: string, kql: string, visualization: string, width?: string): WorkbookItem {
  return {
    type: 3,
    name,
    content: {
      version: 'KqlItem/1.0',
      query: kql,
      size: 0,
      title,
      queryType: 0,
      resourceType: 'microsoft.operationalinsights/workspaces',
      timeContext: { durationMs: 2592000000 },
      timeContextFromParameter: 'TimeRange',
      visualization,
    },
    ...(width ? { customWidth: width } : {}),
  };
}

export function parameters(config: Config): WorkbookItem {
  const number = (name: string, label: string, value: number, description: string) => ({
    id: stableGuid(`param:${name}`),
    version: 'KqlParameterItem/1.0',
    name,
    label,
    type: 1,
    isRequired: true,
    value: String(value),
    description,
  });
  return {
    type: 9,
    name: 'parameters',
    content: {
      version: 'KqlParameterItem/1.0',
      style: 'pills',
      queryType: 0,
      resourceType: 'microsoft.operationalinsights/workspaces',
      parameters: [
        {
          id: stableGuid('param:TimeRange'),
          version: 'KqlParameterItem/1.0',
          name: 'TimeRange',
          label: 'Period',
          type: 4,
          isRequired: true,
          value: { durationMs: 2592000000 },
          typeSettings: {
            selectableValues: [{ durationMs: 604800000 }, { durationMs: 2592000000 }, { durationMs: 7776000000 }],
            allowCustom: true,
          },
        },
        number(
          'SelfTargetSeconds',
          'Self-activation target (s)',
          config.targets.selfActivationSeconds,
          'targets.selfActivationSeconds in pimops config',
        ),
        number(
          'ApprovalTargetSeconds',
          'Approval target (s)',
          config.targets.approvalSeconds,
          'targets.approvalSeconds in pimops config',
        ),
      ],
    },
  };
}

export const latest = (table: string) => `${table}\n${LATEST}`;
export const inRange = (column: string) => `| where ${column} >= ${RANGE.start} and ${column} < ${RANGE.end}`;

export const STANDING = `${latest('PIMAssignments_CL')}
| summarize Total = count(), BreakGlass = countif(BreakGlass), ServicePrincipals = countif(PrincipalType == "service_principal" and not(BreakGlass)),
            Standing = countif(not(BreakGlass) and PrincipalType != "service_principal"), OutsidePim = countif(ViaPim == false)`;

/** Variant (a): the custom tables pimops sends. */
export function wrap(id: string, items: WorkbookItem[]): Workbook {
  return {
    version: 'Notebook/1.0',
    items,
    fallbackResourceIds: [''],
    fromTemplateId: `sentinel-${id}`,
    $schema: 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json',
  };
}
