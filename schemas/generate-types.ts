/**
 * Generates schemas/generated/*.ts from schemas/avro/*.avsc (TypeScript types are derived from
 * the Avro schemas, never written by hand). Run `npm run schemas:types` after editing an .avsc;
 * a test fails when the generated files are stale.
 *
 * Logical types: dates stay day numbers (int), timestamps stay epoch milliseconds (long),
 * the representation avsc decodes to without logical type hooks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toTypeScript } from '@ovotech/avro-ts';
import type { Schema } from 'avsc';
import { AVRO_SCHEMA_NAMES, avroSchema } from './avro';

export const GENERATED_DIR = path.join(__dirname, 'generated');

export function generatedTypes(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of AVRO_SCHEMA_NAMES) {
    const ts = toTypeScript(avroSchema(name) as unknown as Schema, {});
    files.set(
      `${name}.ts`,
      `// Generated from schemas/avro/${name}.avsc by schemas/generate-types.ts: do not edit.\n\n${ts}`,
    );
  }
  return files;
}

if (require.main === module) {
  fs.mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [file, text] of generatedTypes()) fs.writeFileSync(path.join(GENERATED_DIR, file), text);
  process.stderr.write(
    `generated ${AVRO_SCHEMA_NAMES.length} files in ${path.relative(process.cwd(), GENERATED_DIR)}\n`,
  );
}
