// The parameters every named query may take from the config: one list, so `query`, the shell,
// checks and reports bind the same thresholds the same way.
import type { Config } from '../core/config.js';
import { parseTime } from '../core/time.js';
import { listValue } from '../core/db.js';

export interface ParamPeriod {
  from: Date;
  to: Date;
  asOf: Date;
}

export function configParams(config: Config, period?: ParamPeriod): Record<string, unknown> {
  const t = config.targets;
  const c = config.checks;
  const d = config.detections;
  return {
    self_target_seconds: t.selfActivationSeconds,
    approval_target_seconds: t.approvalSeconds,
    denial_rate_flag: config.approvals.denialRateFlag,
    min_decisions: config.approvals.minDecisions,
    break_glass_accounts: listValue(config.breakGlassAccounts.map((x) => x.toLowerCase())),
    tier0_roles: listValue(c.tier0Roles.map((x) => x.toLowerCase())),
    tier0_azure_roles: listValue(c.tier0AzureRoles.map((x) => x.toLowerCase())),
    max_activation_hours: c.maxActivationHours,
    tier0_max_activation_hours: c.tier0MaxActivationHours,
    min_approvers: c.minApprovers,
    require_ticket: c.requireTicket,
    mutual_approval_days: c.mutualApprovalDays,
    expired_rate_flag: c.expiredApprovalRateFlag,
    slow_approval_seconds: c.slowApprovalSeconds,
    max_credential_age_days: c.breakGlassMaxCredentialAgeDays,
    review_max_interval_months: c.reviewMaxIntervalMonths,
    lower_tier_review_max_interval_months: c.lowerTierReviewMaxIntervalMonths,
    unused_role_days: d.unusedRoleDays,
    stale_sign_in_days: d.staleSignInDays,
    ga_count_threshold: d.globalAdminCountThreshold,
    ga_share_threshold: d.globalAdminShareThreshold,
    frequent_activations: d.frequentActivations,
    frequent_window_minutes: d.frequentWindowMinutes,
    new_address_days: d.newAddressDays,
    eligible_adds_per_hour: d.eligibleAddsPerHour,
    eligible_adds_per_hour_privileged: d.eligibleAddsPerHourPrivileged,
    business_start_hour: d.businessHours.start,
    business_end_hour: d.businessHours.end,
    business_time_zone: d.businessHours.timeZone,
    business_weekdays: listValue(d.businessHours.weekdays),
    usual_history_days: d.usualHours.historyDays,
    usual_min_history: d.usualHours.minHistory,
    usual_min_share: d.usualHours.minShare,
    usual_tolerance_hours: d.usualHours.toleranceHours,
    expiring_days: config.report.expiringDays,
    short_activation_minutes: d.shortActivationMinutes,
    right_sizing_share: d.rightSizingShare,
    right_sizing_min_activations: d.rightSizingMinActivations,
    justification_min_length: d.justificationMinLength,
    boilerplate_repeats: d.boilerplateRepeats,
    exceptions: JSON.stringify(
      config.exceptions.map((e) => ({ ...e, expires: parseTime(e.expires, 'expires').toISOString() })),
    ),
    exception_warning_days: c.exceptionWarningDays,
    ...(period ? { from: period.from, to: period.to, as_of: period.asOf } : {}),
  };
}
