// PIMOPS_PROFILE=1 prints how long each named step took, on stderr: for finding hot spots, not for tests.
const enabled = Boolean(process.env.PIMOPS_PROFILE);

export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    profileNote(label, t0);
  }
}

/** A step its caller timed from `t0` (a loop, a stream): the same line as timed() prints. */
export function profileNote(label: string, t0: number): void {
  if (!enabled) return;
  process.stderr.write(
    `[profile] ${label}: ${((performance.now() - t0) / 1000).toFixed(3)} s (at ${(performance.now() / 1000).toFixed(1)} s; ${memory()})\n`,
  );
}

/** The process's memory now, in MB: RSS beside the JS heap's share and buffers outside it. */
function memory(): string {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1e6);
  return `rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`;
}
