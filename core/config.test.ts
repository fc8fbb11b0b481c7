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

describe('config: strict at every level, sizes, zones and secrets checked', () => {
  const message = (raw: unknown) => {
    try {
      parseConfig(raw);
    } catch (e) {
      return e instanceof PimopsError ? `${e.code}: ${e.message}` : String(e);
    }
    return 'accepted';
  };

  it('names an unknown nested key with its path and the nearest known key', () => {
    const m = message({ targets: { selfActivationSecnds: 120 } });
    expect(m).toMatch(/^config-invalid/);
    expect(m).toContain('targets.selfActivationSecnds: unknown key (did you mean targets.selfActivationSeconds?)');
    expect(message({ detections: { businessHours: { timezone: 'UTC' } } })).toContain(
      'did you mean detections.businessHours.timeZone?',
    );
  });

  it.each([
    [{ azure: { clientSecret: 'abc123456' } }, 'azure.clientSecret', 'AZURE_CLIENT_SECRET'],
    [{ run: { webhookUrl: 'https://hooks.example/x' } }, 'run.webhookUrl', 'PIMOPS_WEBHOOK_URL'],
    [{ azure: { certificatePassword: 'x' } }, 'azure.certificatePassword', 'AZURE_CLIENT_CERTIFICATE_PASSWORD'],
    [
      { evidence: { signingKey: '-----BEGIN PRIVATE KEY-----abc123456' } },
      'evidence.signingKey',
      'PIMOPS_EVIDENCE_KEY_FILE',
    ],
  ])('refuses a secret in the file, naming the environment variable to use (%j)', (raw, at, env) => {
    const m = message(raw);
    expect(m).toContain(at);
    expect(m).toContain(env);
    expect(m).not.toContain('abc123456');
  });

  it.each(['abc', '-5GB', '0GB', '5 parsecs', ''])('refuses memoryLimit %j', (v) => {
    expect(message({ storage: { memoryLimit: v } })).toMatch(/storage\.memoryLimit/);
  });

  it.each(['1.5GB', '800MB', '2GiB', '512 MB'])('takes memoryLimit %j', (v) => {
    expect(parseConfig({ storage: { memoryLimit: v } }).storage.memoryLimit).toBe(v);
  });

  it('checks the business-hours zone against the IANA database', () => {
    expect(message({ detections: { businessHours: { timeZone: 'Mars/Olympus' } } })).toContain(
      'detections.businessHours.timeZone: an IANA time zone',
    );
    expect(
      parseConfig({ detections: { businessHours: { timeZone: 'Europe/Berlin' } } }).detections.businessHours.timeZone,
    ).toBe('Europe/Berlin');
  });
});
