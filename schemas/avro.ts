/**
 * The platform's Avro schemas (schemas/avro/*.avsc are the single source of event types).
 *
 * A schema may name a record defined in another .avsc file (e.g. DossierApprenantChange.after is a
 * DossierApprenant): `avroSchema()` inlines such references so that what is registered in the
 * schema registry is self-contained.
 */
import fs from 'node:fs';
import path from 'node:path';

export const AVRO_DIR = path.join(__dirname, 'avro');

export type AvroSchemaName =
  | 'DossierApprenant'
  | 'DossierApprenantChange'
  | 'RejectedRecord'
  | 'LearnerStatusTransition'
  | 'DropoutAlert'
  | 'TransmissionReport'
  | 'IdentiteApprenant';

export const AVRO_SCHEMA_NAMES: AvroSchemaName[] = [
  'DossierApprenant',
  'DossierApprenantChange',
  'RejectedRecord',
  'LearnerStatusTransition',
  'DropoutAlert',
  'TransmissionReport',
  'IdentiteApprenant',
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function readAvsc(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(AVRO_DIR, `${name}.avsc`), 'utf8')) as Json;
}

/** The self-contained JSON schema of `name` (references to other files' records inlined once). */
export function avroSchema(name: AvroSchemaName): Record<string, unknown> {
  const defined = new Set<string>();
  const known = new Set<string>(AVRO_SCHEMA_NAMES);
  const walk = (node: Json): Json => {
    if (typeof node === 'string') {
      if (known.has(node) && !defined.has(node)) {
        defined.add(node);
        return walk(readAvsc(node));
      }
      return node;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      if (typeof node.name === 'string' && (node.type === 'record' || node.type === 'enum'))
        defined.add(node.name);
      const out: { [k: string]: Json } = {};
      for (const [k, v] of Object.entries(node))
        out[k] = k === 'type' || k === 'items' || k === 'fields' ? walk(v) : v;
      return out;
    }
    return node;
  };
  return walk(readAvsc(name)) as Record<string, unknown>;
}
