import { defineConfig } from 'vitest/config';
import { loopbackCert } from './test/fakes/cert.js';

// The Graph client trusts a private CA only through NODE_EXTRA_CA_CERTS, which Node reads at process
// start: set it here, in the parent, before the forked test workers are spawned.
const cert = loopbackCert();
process.env.NODE_EXTRA_CA_CERTS = cert.certPath;
process.env.PIMOPS_TEST_CERT = cert.certPath;
process.env.PIMOPS_TEST_KEY = cert.keyPath;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '**/*.test.ts'],
    exclude: ['node_modules/**', 'bench/**', 'dist/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // DuckDB work is CPU-bound; two cores here. Forks (not threads) so NODE_EXTRA_CA_CERTS applies.
    pool: 'forks',
    maxWorkers: 2,
  },
});
