// typescript-eslint's recommendedTypeChecked over every TypeScript file in tsconfig.json; layout is Prettier's job,
// so no stylistic rule is enabled here. Every rule turned off or relaxed below says why beside it.
import js from '@eslint/js';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      'out/',
      'bench/results/',
      'bench/data/',
      'pimops-demo/',
      'pimops-reports/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Files outside tsconfig.json's include (bin/, the root configs, bench's preload hook) get a default project.
        projectService: {
          allowDefaultProject: ['*.js', 'vitest.config.ts', 'bin/*.js', 'bench/*.mjs', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // The few plain JavaScript files run under Node and are not type-checked, so ESLint needs Node's globals.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      // Tests read the CLI's and the fakes' JSON through JSON.parse (typed `any`) and vitest's asymmetric
      // matchers are `any`: the shape is exactly what the `expect` beside it checks, so typing it first adds nothing.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // The same untyped JSON is turned into text to compare and to name what failed: String() of a parsed
      // value is what the assertion message should show.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Tests plant and look for control characters on purpose (the terminal and CSV neutralisers).
      'no-control-regex': 'off',
      // Fakes implement async interfaces (an SDK client, a server's close) with bodies that need no await.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
