import type { LandingStore, ManifestEntry } from '../core/landing.js';

/** Every source lands what it reads and reports what it landed; transform takes it from there. */
export interface LandedBatch {
  /** Files (or pages) offered, whether new or already landed. */
  offered: ManifestEntry[];
  /** Of those, the ones this run landed for the first time. */
  landed: ManifestEntry[];
}

export interface Source<Options> {
  readonly name: string;
  land(store: LandingStore, options: Options, progress?: (message: string) => void): Promise<LandedBatch>;
}
