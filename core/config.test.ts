import { describe, it, expect } from 'vitest';
import { parseConfig } from './config.js';
import { PimopsError } from './errors.js';

describe('config', () => {
  it('fills every default from an empty file', () => {
    expect(parseConfig({})).toMatchObject({
      breakGlassAccounts: [],
      targets: { selfActivationSeconds: 300, approvalSeconds: 1800 },
      approvals: { denialRateFlag: 0.2, minDecisions: 5 },
      correlation: { pairingWindowHours: 24 },
    });
  });
  it.each([
    [{ targets: { selfActivationSeconds: 0 } }, 'targets.selfActivationSeconds'],
    [{ approvals: { denialRateFlag: 1.5 } }, 'approvals.denialRateFlag'],
    [{ approvals: { minDecisions: 2.5 } }, 'approvals.minDecisions'],
    [{ breakGlassAccounts: 'bg@contoso.com' }, 'breakGlassAccounts'],
    [{ breakGlasAccounts: [] }, 'breakGlasAccounts'],
  ])('names the bad key in %j', (raw, key) => {
    try {
      parseConfig(raw, 'test config');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PimopsError);
      expect((err as PimopsError).code).toBe('config-invalid');
      expect((err as Error).message).toContain(key);
    }
  });
});
