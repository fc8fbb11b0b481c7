// Preloaded (node --import) into a bench child only when /usr/bin/time is missing: at exit, writes
// this process's peak RSS in kB (process.resourceUsage().maxRSS) as a JSON line to $BENCH_RSS_FILE.
// It lets bench/run.ts measure `pimops` itself without changing pimops.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      writeFileSync(file, JSON.stringify({ maxRSS: process.resourceUsage().maxRSS }) + '\n');
    } catch {
      /* best effort */
    }
  });
}
