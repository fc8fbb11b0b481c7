// Prettier settings chosen to match the code as it was written by hand, so the first pass changes layout,
// not habits: single quotes, semicolons, trailing commas, parenthesised arrow parameters.

/** @type {import('prettier').Config} */
export default {
  printWidth: 120,
  singleQuote: true,
  semi: true,
  trailingComma: 'all',
  arrowParens: 'always',
  // ERROR_CODES and similar maps quote every key when one needs it ('config-invalid'); keep them uniform.
  quoteProps: 'consistent',
  endOfLine: 'lf',
  overrides: [
    {
      // Deployment YAML follows the double-quoted style of the Azure and GitHub documentation it is copied from.
      files: ['*.yml', '*.yaml'],
      options: { singleQuote: false },
    },
  ],
};
