// `pimops doctor`: gets a token, calls each endpoint pimops uses with the smallest request, and says
// for each what works, what permission or licence is missing, and how to grant it.
import type { Config } from '../core/config.js';
import { createCredential, graphScope, logAnalyticsScope, signInError } from '../core/azure.js';
import { cloudEndpoints } from '../core/cloud.js';
import { createGraphClient } from './graph/client.js';
import { createLogsClient } from './log-analytics/index.js';
import { SNAPSHOT_ENDPOINTS } from './graph/snapshot.js';
import { LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { armScope, type RefreshableCredential } from '../core/azure.js';
import { GROUP_PERMISSIONS } from './graph/snapshot-groups.js';
import { ARM_PERMISSIONS, pullArmScopes } from './arm/snapshot.js';

export interface DoctorCheck {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

function explain(err: unknown): { status?: number; message: string } {
  const e = err as { statusCode?: number; code?: string; message?: string };
  return { status: e.statusCode, message: (e.message ?? String(err)).split('\n')[0].slice(0, 300) };
}

export async function runDoctor(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let credential;
  try {
    credential = createCredential(config, env);
    checks.push({ check: 'credential', ok: true, detail: `${config.azure.credential} from the environment` });
  } catch (err) {
    checks.push({
      check: 'credential',
      ok: false,
      detail: explain(err).message,
      fix: 'Set the variables named above (see docs/azure-setup.md).',
    });
    return checks;
  }
  try {
    await credential.getToken(graphScope(config));
    checks.push({
      check: `token for ${graphScope(config)}`,
      ok: true,
      detail: `from ${cloudEndpoints(config).authorityHost}`,
    });
  } catch (err) {
    checks.push({
      check: `token for ${graphScope(config)}`,
      ok: false,
      detail: signInError(err, env.AZURE_TENANT_ID)?.message ?? explain(err).message,
      fix: 'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the secret or certificate; the app registration must exist in that tenant.',
    });
    return checks;
  }
  const graph = createGraphClient(config, credential, undefined, 'directory');
  const probes: { check: string; path: string; permission: string; licence?: string }[] = [
    {
      check: 'audit log (ingest graph)',
      path: '/auditLogs/directoryAudits?$top=1',
      permission: 'AuditLog.Read.All and Directory.Read.All',
    },
    {
      check: 'sign-ins (break-glass use)',
      path: '/auditLogs/signIns?$top=1',
      permission: 'AuditLog.Read.All',
      licence: 'Microsoft Entra ID P1 or P2',
    },
    // The PIM pages document $select, $filter and $expand only (no $top): probe with the endpoint's
    // required $filter and the smallest $select.
    ...SNAPSHOT_ENDPOINTS.map((e) => ({
      check: `snapshot: ${e.name}`,
      path: `${e.path.split('?')[0]}?${(e.path.split('?')[1] ?? '')
        .split('&')
        .filter((kv) => kv.startsWith('$filter'))
        .map((kv) => kv.replace(/=(.*)$/, (_m, v: string) => `=${encodeURIComponent(v)}`))
        .concat('$select=id')
        .join('&')}`,
      permission: e.permission,
    })),
  ];
  for (const p of probes) {
    try {
      await graph.api(p.path).get();
      checks.push({ check: p.check, ok: true, detail: 'answers' });
    } catch (err) {
      const e = explain(err);
      if (e.status === 400) {
        // The endpoint answered and the permission let the request through to validation: reachable.
        checks.push({ check: p.check, ok: true, detail: `reachable, request refused (400): ${e.message}` });
        continue;
      }
      const fix =
        e.status === 403
          ? `Grant the application permission ${p.permission} and admin consent${p.licence ? `; the tenant needs ${p.licence}` : ''}.`
          : undefined;
      checks.push({ check: p.check, ok: false, detail: `${e.status ?? ''} ${e.message}`.trim(), fix });
    }
  }
  checks.push(...(await planeProbes(config, credential)));
  if (config.azure.workspaceId) {
    try {
      const logs = createLogsClient(config, credential);
      const end = new Date();
      const res = await logs.queryWorkspace(config.azure.workspaceId, 'AuditLogs | take 1', {
        startTime: new Date(end.getTime() - 86_400_000),
        endTime: end,
      });
      checks.push({
        check: `log analytics workspace ${config.azure.workspaceId}`,
        ok: res.status === LogsQueryResultStatus.Success,
        detail: `token for ${logAnalyticsScope(config)}; query ${res.status}`,
      });
    } catch (err) {
      const e = explain(err);
      checks.push({
        check: `log analytics workspace ${config.azure.workspaceId}`,
        ok: false,
        detail: `${e.status ?? ''} ${e.message}`.trim(),
        fix:
          e.status === 403
            ? 'Give the app the Log Analytics Reader role on the workspace (or on the AuditLogs table).'
            : undefined,
      });
    }
  } else {
    checks.push({
      check: 'log analytics',
      ok: true,
      detail: 'not configured (azure.workspaceId): ingest log-analytics needs --workspace',
    });
  }
  return checks;
}

/**
 * PIM for Groups and Azure resources (issue 23): Graph's group lists refuse a call without a group, so
 * the probe asks for one role-assignable group and, if there is one, its instances and policies; ARM
 * is asked which subscriptions and management groups it shows, then the first scope's PIM reads.
 */
async function planeProbes(config: Config, credential: RefreshableCredential): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const graph = createGraphClient(config, credential, undefined, 'directory');
  const probe = async (check: string, run: () => Promise<string>, permission: string) => {
    try {
      out.push({ check, ok: true, detail: await run() });
    } catch (err) {
      const e = explain(err);
      out.push({
        check,
        ok: false,
        detail: `${e.status ?? ''} ${e.message}`.trim(),
        fix:
          e.status === 403
            ? `Grant ${permission} (docs/azure-setup.md, "PIM for Groups and Azure resources").`
            : undefined,
      });
    }
  };
  let group: string | undefined;
  await probe(
    'snapshot: PIM for Groups (role-assignable groups)',
    async () => {
      const page = (await graph
        .api(`/groups?$filter=${encodeURIComponent('isAssignableToRole eq true')}&$select=id`)
        .get()) as {
        value?: { id: string }[];
      };
      group = page.value?.[0]?.id;
      return group ? 'answers' : 'answers (no role-assignable group: PIM for Groups reads the groups the log names)';
    },
    `the application permission ${GROUP_PERMISSIONS.pimGroups}`,
  );
  if (group) {
    const filter = encodeURIComponent(`groupId eq '${group}'`);
    for (const [name, path] of [
      [
        'groupEligibilityScheduleInstances',
        `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=${filter}&$select=id`,
      ],
      [
        'groupAssignmentScheduleInstances',
        `/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=${filter}&$select=id`,
      ],
      [
        'groupPolicyAssignments',
        `/policies/roleManagementPolicyAssignments?$filter=${encodeURIComponent(`scopeId eq '${group}' and scopeType eq 'Group'`)}&$select=id`,
      ],
    ] as const)
      await probe(
        `snapshot: ${name}`,
        async () => {
          await graph.api(path).get();
          return 'answers';
        },
        `the application permission ${GROUP_PERMISSIONS[name]}`,
      );
  }
  await probe(
    `snapshot: Azure resources (ARM at ${cloudEndpoints(config).armEndpoint})`,
    async () => {
      const seen = await pullArmScopes(credential, {
        endpoint: cloudEndpoints(config).armEndpoint,
        scope: armScope(config),
      });
      return `${seen.subscriptions} subscription(s), ${seen.managementGroups} management group(s) visible${seen.firstScope ? `; PIM state readable at ${seen.firstScope}` : ''}`;
    },
    `${ARM_PERMISSIONS.subscriptions}; ${ARM_PERMISSIONS.scope}`,
  );
  return out;
}
