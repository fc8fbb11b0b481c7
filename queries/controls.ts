// Which controls of which frameworks each rule (check) and metric evidences. One typed table here
// rather than a header line per rule: a reviewer checks a framework's whole mapping in one place,
// the framework catalog (titles, sources, how the mapping was made) sits beside it, and a test holds
// it against the registry (every rule mapped, no unknown rule, query or control) and docs/rules.md.
// Only mappings a public text supports: SCuBA and NIST publish their full text; for ISO/IEC 27001,
// CIS and SOC 2 (texts behind licences) the mapping is by control title, from the public sources cited.
import { PimopsError } from '../core/errors.js';
import { FRAMEWORKS, FRAMEWORK_IDS, type Framework, type FrameworkId } from './control-frameworks.js';
export { FRAMEWORK_IDS, FRAMEWORKS, type Framework, type FrameworkId } from './control-frameworks.js';

type Mapping = Partial<Record<FrameworkId, string[]>>;

/**
 * Per rule id (checks) and per metric or evidence query id: the controls it evidences. An empty
 * mapping is deliberate: the rule is useful but no public text of these frameworks asks for it.
 */
export const CONTROL_MAP: Record<string, Mapping> = {
  // Rules (queries/check_<id>.sql)
  access_review_infrequent: {
    'nist-800-53': ['AC-6(7)'],
    'cis-m365': ['5.3.3'],
    'iso-27001': ['5.18', '8.2'],
    'soc2': ['CC6.3'],
  },
  access_review_missing: {
    'nist-800-53': ['AC-6(7)'],
    'cis-m365': ['5.3.3'],
    'iso-27001': ['5.18', '8.2'],
    'soc2': ['CC6.3'],
  },
  access_review_outcomes: {
    'nist-800-53': ['AC-6(7)', 'AC-2(7)'],
    'cis-m365': ['5.3.3'],
    'iso-27001': ['5.18', '8.2'],
    'soc2': ['CC6.3'],
  },
  access_review_overdue: {
    'nist-800-53': ['AC-6(7)'],
    'cis-m365': ['5.3.3'],
    'iso-27001': ['5.18'],
    'soc2': ['CC6.3'],
  },
  access_review_silence_keeps_access: {
    'nist-800-53': ['AC-6(7)', 'AC-2(7)'],
    'cis-m365': ['5.3.3'],
    'iso-27001': ['5.18'],
    'soc2': ['CC6.3'],
  },
  activation_ended_early: { 'nist-800-53': ['AC-6'], 'iso-27001': ['8.2'] },
  activation_outlier: { 'nist-800-53': ['AC-2(12)'], 'iso-27001': ['8.2'] },
  activation_runs_to_end: { 'nist-800-53': ['AC-6'], 'iso-27001': ['8.2'] },
  agent_privileged_role: { 'nist-800-53': ['AC-6'], 'iso-27001': ['8.2'] },
  after_hours_activation: { 'nist-800-53': ['AC-2(12)', 'AC-6(9)'], 'iso-27001': ['8.2'] },
  approval_requests_expired: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  assigned_outside_pim: {
    'cisa-scuba': ['MS.AAD.7.5v1'],
    'nist-800-53': ['AC-2', 'AC-2(7)'],
    'cis-m365': ['5.3.1'],
    'iso-27001': ['5.18', '8.2'],
    'soc2': ['CC6.2', 'CC6.3'],
  },
  boilerplate_justification: { 'cis-m365': ['5.3.1'], 'iso-27001': ['8.2'] },
  break_glass_action: { 'nist-800-53': ['AC-2(12)', 'AC-6(9)'], 'iso-27001': ['8.2'] },
  break_glass_change: { 'nist-800-53': ['AC-2(4)', 'AC-2(12)'], 'iso-27001': ['8.2'] },
  break_glass_credential_age: {},
  break_glass_sign_in: { 'nist-800-53': ['AC-2(12)'], 'iso-27001': ['8.2'] },
  break_glass_without_ga: { 'cis-m365': ['1.1.2'] },
  bulk_role_removal: { 'nist-800-53': ['AC-2(4)', 'AC-2(12)'], 'iso-27001': ['5.18'] },
  elevation_without_activity: { 'nist-800-53': ['AC-6'], 'iso-27001': ['8.2'] },
  eligible_assignment_burst: {
    'cisa-scuba': ['MS.AAD.7.7v1'],
    'nist-800-53': ['AC-2(4)', 'AC-2(12)'],
    'iso-27001': ['5.18'],
    'soc2': ['CC6.2'],
  },
  exception_expiring: {},
  first_role_use: { 'nist-800-53': ['AC-2(12)', 'AC-6(9)'], 'iso-27001': ['8.2'] },
  justification_not_required: { 'cis-m365': ['5.3.1'], 'iso-27001': ['8.2'], 'soc2': ['CC6.1'] },
  mfa_and_tickets_observed: { 'cis-m365': ['5.3.1'], 'iso-27001': ['8.2'] },
  mfa_not_required: { 'cis-m365': ['5.3.1'], 'iso-27001': ['8.2'], 'soc2': ['CC6.1'] },
  mutual_approval: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  new_request_address: { 'nist-800-53': ['AC-2(12)'] },
  permanent_active_allowed: {
    'cisa-scuba': ['MS.AAD.7.4v1'],
    'nist-800-53': ['AC-2', 'AC-6(5)'],
    'cis-m365': ['5.3.1'],
    'iso-27001': ['8.2'],
    'soc2': ['CC6.1'],
  },
  permanent_eligible_allowed: { 'iso-27001': ['8.2'], 'soc2': ['CC6.1'] },
  pim_alert_disabled: { 'nist-800-53': ['AC-6(9)'], 'iso-27001': ['8.2'] },
  role_max_activation: { 'nist-800-53': ['AC-6'], 'cis-m365': ['5.3.1'], 'iso-27001': ['8.2'], 'soc2': ['CC6.1'] },
  role_setting_changes: { 'nist-800-53': ['AC-6(9)'], 'iso-27001': ['8.2'], 'soc2': ['CC6.1'] },
  self_approval: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  short_justification: { 'cis-m365': ['5.3.1'], 'iso-27001': ['8.2'] },
  single_approver: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  slow_approver: {},
  stale_account: { 'nist-800-53': ['AC-2(3)', 'AC-6(7)'], 'iso-27001': ['5.18', '8.2'], 'soc2': ['CC6.2'] },
  ticket_missing: { 'iso-27001': ['8.2'] },
  ticket_not_required: { 'iso-27001': ['8.2'] },
  tier0_without_approval: {
    'cisa-scuba': ['MS.AAD.7.6v1'],
    'nist-800-53': ['AC-6(1)'],
    'cis-m365': ['5.3.4'],
    'iso-27001': ['8.2'],
    'soc2': ['CC6.1'],
  },
  too_few_approvers: { 'nist-800-53': ['AC-6(1)'], 'cis-m365': ['5.3.4'], 'iso-27001': ['8.2'] },
  too_frequent_activation: { 'nist-800-53': ['AC-2(12)'], 'iso-27001': ['8.2'] },
  too_many_global_admins: {
    'cisa-scuba': ['MS.AAD.7.1v1', 'MS.AAD.7.2v1'],
    'nist-800-53': ['AC-6(5)'],
    'cis-m365': ['1.1.3'],
    'iso-27001': ['8.2'],
  },
  unused_eligibility: { 'nist-800-53': ['AC-6(7)'], 'iso-27001': ['5.18', '8.2'], 'soc2': ['CC6.3'] },

  // Metrics (reports/metrics.ts)
  time_to_activate: {},
  approval_outcomes: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  approval_rate_by_role: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  approval_rate_by_approver: { 'nist-800-53': ['AC-6(1)'], 'iso-27001': ['8.2'] },
  active_hours: { 'nist-800-53': ['AC-6'], 'iso-27001': ['8.2'] },
  standing_assignments: {
    'cisa-scuba': ['MS.AAD.7.4v1'],
    'nist-800-53': ['AC-2(7)', 'AC-6(5)'],
    'cis-m365': ['5.3.1'],
    'iso-27001': ['8.2'],
    'soc2': ['CC6.3'],
  },
  audit_coverage: {},
  // Names scopes for the per-plane sections: evidences no control on its own.
  plane_scopes: {},

  // Evidence-pack queries (reports/evidence/)
  evidence_access_at: {
    'nist-800-53': ['AC-2(7)', 'AC-6(5)'],
    'iso-27001': ['5.15', '5.18', '8.2'],
    'soc2': ['CC6.3'],
  },
  evidence_access_changes: {
    'cisa-scuba': ['MS.AAD.7.5v1'],
    'nist-800-53': ['AC-2(4)', 'AC-2(7)'],
    'iso-27001': ['5.18', '8.2'],
    'soc2': ['CC6.2', 'CC6.3'],
  },
  evidence_activations: {
    'nist-800-53': ['AC-6(1)', 'AC-6(9)'],
    'cis-m365': ['5.3.1'],
    'iso-27001': ['8.2'],
    'soc2': ['CC6.3'],
  },
  evidence_access_reviews: {
    'nist-800-53': ['AC-6(7)'],
    'cis-m365': ['5.3.3'],
    'iso-27001': ['5.18'],
    'soc2': ['CC6.3'],
  },
  evidence_role_settings: {
    'cisa-scuba': ['MS.AAD.7.4v1', 'MS.AAD.7.6v1'],
    'nist-800-53': ['AC-6(1)'],
    'cis-m365': ['5.3.1', '5.3.4'],
    'iso-27001': ['5.15', '8.2'],
    'soc2': ['CC6.1'],
  },
  evidence_daily_coverage: {},
};

export function frameworkOf(id: string): Framework {
  if (!(FRAMEWORK_IDS as readonly string[]).includes(id)) {
    throw new PimopsError('usage', `No framework '${id}'. Known: ${FRAMEWORK_IDS.join(', ')}`);
  }
  return FRAMEWORKS[id as FrameworkId];
}

/** The controls one rule or query evidences, per framework (empty when none). */
export function controlsOf(id: string): Mapping {
  return CONTROL_MAP[id] ?? {};
}

/** The ids (rules and queries) mapped to a framework, each with its controls there, in id order. */
export function mappedTo(framework: FrameworkId): { id: string; controls: string[] }[] {
  return Object.entries(CONTROL_MAP)
    .filter(([, m]) => m[framework]?.length)
    .map(([id, m]) => ({ id, controls: m[framework]! }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const SHORT: Record<FrameworkId, string> = {
  'cisa-scuba': 'CISA SCuBA',
  'nist-800-53': 'NIST SP 800-53',
  'cis-m365': 'CIS M365',
  'iso-27001': 'ISO/IEC 27001:2022 A.',
  'soc2': 'SOC 2',
};

/** The "Controls:" line docs/rules.md carries for a rule (a test holds the doc to it). */
export function controlsLine(id: string): string {
  const m = controlsOf(id);
  const parts = FRAMEWORK_IDS.filter((f) => m[f]?.length).map((f) => {
    const ids = m[f]!.join(', ');
    const text = f === 'iso-27001' ? `${SHORT[f]}${m[f]!.join(', A.')}` : `${SHORT[f]} ${ids}`;
    return FRAMEWORKS[f].basis === 'by control title' ? `${text} (by control title)` : text;
  });
  return parts.length ? parts.join('; ') : 'none: no public text of the mapped frameworks asks for this';
}
