import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PimopsError } from '../core/errors.js';
import { MODELS, type ModelName } from './models.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Reads a model's SQL from transform/models/<layer>/ (or the schema beside this file). */
export function modelSql(name: ModelName | 'schema'): string {
  if (name === 'schema') return readFileSync(join(here, 'schema.sql'), 'utf8');
  const model = MODELS.find((m) => m.name === name);
  // Names are typed; this guards a name built at run time from data.
  if (!model) throw new PimopsError('internal', `No model named ${JSON.stringify(name)} in transform/models.ts.`);
  return readFileSync(join(here, 'models', model.layer, `${name}.sql`), 'utf8');
}
