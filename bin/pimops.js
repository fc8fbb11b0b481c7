#!/usr/bin/env node
// Runs the compiled CLI (npm run build, which `npm ci` and `npm install` run through prepare).
import { main } from '../dist/cli/index.js';

process.exitCode = await main(process.argv);
