import { describe, expect, it } from 'vitest';
import { classifyGaps, gapError } from './gaps.js';
import { PimopsError } from './errors.js';

const outcomes = [
  { name: 'roleDefinitions' },
  { name: 'roleAssignmentScheduleInstances', error: '403: grant RoleAssignmentSchedule.Read.Directory' },
  { name: 'accessReviewDefinitions', error: '403 AadPremiumLicenseRequired: tenant has no P2 licence' },
  { name: 'users', error: '403: grant User.Read.All' },
];

describe('partial failures: one policy', () => {
  it('a missing licence and an acknowledged endpoint are warnings; any other gap fails', () => {
    const g = classifyGaps(outcomes, ['users']);
    expect(g.warnings.map((w) => [w.name, w.expected])).toEqual([
      ['accessReviewDefinitions', 'the tenant lacks the licence'],
      ['users', 'listed in acknowledgedGaps'],
    ]);
    expect(g.failures.map((f) => f.name)).toEqual(['roleAssignmentScheduleInstances']);
    const e = gapError('snapshot', g.failures);
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('roleAssignmentScheduleInstances (403: grant RoleAssignmentSchedule.Read.Directory)');
  });

  it('an acknowledged name the pull does not have is a config error', () => {
    expect(() => classifyGaps(outcomes, ['userz'])).toThrow(PimopsError);
    expect(() => classifyGaps(outcomes, ['userz'])).toThrow(/acknowledgedGaps names 'userz'/);
  });
});
