// `pimops explain-request <key>`: one request told as a story, from the named queries (request_trace,
// elevation_activity) and the request row.
import type { Db } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { runQuery } from '../queries/registry.js';
import { terminalText, terminalValues } from './neutralise.js';
import { asText } from '../core/text.js';

function dur(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
const t = (d: unknown) => (d instanceof Date ? d.toISOString().replace('.000Z', 'Z') : String(d));

export async function explainRequest(db: Db, rawKey: string): Promise<string> {
  const key = terminalText(rawKey); // echoed below; matched as typed
  // The story goes to a terminal: every stored string is shown without being obeyed, and on one line.
  const req = terminalValues(
    await db.one<Record<string, unknown>>(`SELECT * FROM pim_requests WHERE request_key = lower($k)`, { k: rawKey }),
  );
  if (!req)
    throw new PimopsError(
      'usage',
      `No request with key '${key}'. Find keys with: pimops sql "SELECT request_key, principal_upn, role_name, requested_at FROM pim_requests ORDER BY requested_at DESC LIMIT 20"`,
    );
  const who = String(req.principal_upn ?? req.principal_id);
  const role = String(req.role_name ?? req.role_id);
  const lines: string[] = [];
  const verb =
    {
      activate: 'asked for',
      deactivate: 'asked to drop',
      assign_eligible: 'was made eligible for',
      assign_active: 'was assigned',
      remove: 'was removed from',
      extend: 'asked to extend',
      renew: 'asked to renew',
    }[String(req.request_type)] ?? String(req.request_type);
  lines.push(
    `${req.requested_at ? t(req.requested_at) : '(request time not in the log)'}: ${who} ${verb} ${role}${req.plane !== 'entra_role' ? ` (${asText(req.plane)}, scope ${asText(req.scope_id)})` : ''}` +
      `${req.justification ? `, saying "${asText(req.justification)}"` : ', with no justification recorded'}${req.ticket_number ? ` (ticket ${asText(req.ticket_number)})` : ''}.`,
  );
  // Where the request came from: PIM request records hold the address in ipaddr and the client in User-Agent.
  const origin = terminalValues(
    await db.one<Record<string, unknown>>(
      `SELECT
      arg_min(actor_ip, event_time) FILTER (WHERE actor_ip IS NOT NULL) AS ip, arg_min(user_agent, event_time) FILTER (WHERE user_agent IS NOT NULL) AS ua,
      arg_min(actor_agent_type, event_time) FILTER (WHERE actor_agent_type IS NOT NULL AND actor_agent_type <> 'notAgentic' AND step IN ('act_requested', 'assign_requested', 'deact_requested', 'extend_requested')) AS agent
    FROM int_pim_events WHERE request_key = lower($k)`,
      { k: rawKey },
    ),
  );
  if (origin?.ip || origin?.ua)
    lines.push(
      `It came from ${asText(origin.ip ?? 'an unrecorded address')}${origin.ua ? ` using ${asText(origin.ua)}` : ''}.`,
    );
  if (origin?.agent) lines.push(`The requester is an agent identity (agentType ${asText(origin.agent)}).`);
  if (req.mfa) lines.push('PIM recorded that MFA was satisfied for the request.');
  if (req.approval_required) {
    const wait =
      req.decided_at && req.requested_at
        ? dur(((req.decided_at as Date).getTime() - (req.requested_at as Date).getTime()) / 1000)
        : undefined;
    switch (req.decision) {
      case 'approved':
        lines.push(`It needed approval: ${asText(req.approver_upn ?? req.approver_id)} approved after ${wait}.`);
        break;
      case 'denied':
        lines.push(`It needed approval: ${asText(req.approver_upn ?? req.approver_id)} denied it after ${wait}.`);
        break;
      case 'approval_expired':
        lines.push(
          `It needed approval, and nobody decided within the approval window: the request expired at ${t(req.decided_at)}.`,
        );
        break;
      case 'canceled':
        lines.push(`It needed approval; the requester canceled it after ${wait}.`);
        break;
      case 'pending':
        lines.push('It needed approval, and no decision is in the log yet (pending).');
        break;
      default:
        lines.push('It needed approval; no decision record was found.');
    }
  } else if (req.request_type === 'activate') {
    lines.push('It was a self-activation (no approval required).');
  }
  if (req.activated_at) {
    const tta = req.requested_at
      ? ` (${dur(((req.activated_at as Date).getTime() - (req.requested_at as Date).getTime()) / 1000)} after the request)`
      : '';
    lines.push(`The role was granted at ${t(req.activated_at)}${tta}.`);
    const via = terminalValues(
      await db.one<Record<string, unknown>>(
        'SELECT via_group_id, via_group_name FROM pim_activations WHERE request_key = lower($k) AND via_group_id IS NOT NULL',
        { k: rawKey },
      ),
    );
    if (via)
      lines.push(
        `${who} held it through the group ${asText(via.via_group_name ?? via.via_group_id)} (${asText(via.via_group_id)}): counted once, under ${who}.`,
      );
    if (req.end_reason === 'deactivated') lines.push(`${who} deactivated it at ${t(req.ended_at)}.`);
    else if (req.end_reason === 'expired') lines.push(`It expired at ${t(req.ended_at)}.`);
    else lines.push('It had not ended when the log ends (open).');
    const acts = terminalValues(await runQuery(db, 'elevation_activity', { request: rawKey }));
    if (acts.length) {
      lines.push(`While it was active, ${who} did ${acts.length} other thing${acts.length === 1 ? '' : 's'}:`);
      for (const a of acts.slice(0, 20))
        lines.push(
          `  - ${t(a.event_time)} (+${Math.round(Number(a.minutes_into_activation))} min) ${asText(a.activity)}${a.target ? ` → ${asText(a.target)}` : ''} [${asText(a.service)}]`,
        );
      if (acts.length > 20)
        lines.push(`  … and ${acts.length - 20} more (pimops query elevation_activity --param request=${key})`);
    } else {
      lines.push(
        `No other audit record by ${who} falls inside the activation: the elevation left no trace in the audit log.`,
      );
    }
  }
  const trace = await runQuery(db, 'request_trace', { request: rawKey });
  lines.push('', `Records (${trace.length}): pimops query request_trace --param request=${key}`);
  return lines.join('\n') + '\n';
}
