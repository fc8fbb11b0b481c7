#!/usr/bin/env node
// Runs the compiled CLI (npm run build, which `npm ci` and `npm install` run through prepare).
/** @type {{ main: (argv: string[]) => Promise<number> }} */
const cli = await import('../dist/cli/index.js');
process.exitCode = await cli.main(process.argv);
