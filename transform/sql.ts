import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Reads a model's SQL from transform/models (or the schema beside this file). */
export function modelSql(name: string): string {
  const path = name === 'schema' ? join(here, 'schema.sql') : join(here, 'models', `${name}.sql`);
  return readFileSync(path, 'utf8');
}
