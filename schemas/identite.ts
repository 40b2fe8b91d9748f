/**
 * The sealed identity of a learner (schemas/avro/IdentiteApprenant.avsc, type generated in
 * schemas/generated/IdentiteApprenant.ts): the one module that seals and opens it. Used by the
 * connectors (connectors/core/work.ts seals `identite_chiffree`), the alert rules (the contact
 * subset sealed into `DropoutAlert.contact_chiffre`), the alert inbox (what an advisor sees) and
 * the nominative API (api/apprenants). One set of field names, checked against the schema both
 * ways: a value that does not match the schema is never sealed, and a blob that does not match
 * it is not read as an identity (IdentiteIllisibleError), whatever names it holds.
 *
 * Layout: the identity as JSON (absent values left out), sealed with infra/crypto.ts. JSON rather
 * than Avro binary because the identities already at rest (the compacted topic, ClickHouse's
 * `dossiers`, the processor's states in Redis) were written that way with these names: they open
 * unchanged.
 */
import avsc from 'avsc';
import { DecryptionError, openJson, sealJson } from '../infra/crypto';
import { PermanentError } from '../infra/errors';
import { avroSchema } from './avro';
import type { IdentiteApprenant } from './generated/IdentiteApprenant';

export type { IdentiteApprenant };

const TYPE = avsc.Type.forSchema(avroSchema('IdentiteApprenant') as avsc.Schema) as avsc.types.RecordType;
const FIELDS: readonly (keyof IdentiteApprenant)[] = TYPE.fields.map(
  (f) => f.name as keyof IdentiteApprenant,
);
const CHECK = { noUndeclaredFields: true } as const;

/** A sealed blob that opened but is not an IdentiteApprenant (another producer's field names…). */
export class IdentiteIllisibleError extends PermanentError {
  override name = 'IdentiteIllisibleError';
}

/** The fields an identity may be built from: the names, and any other field of the schema. */
export type IdentiteFields = Pick<IdentiteApprenant, 'nom' | 'prenom'> & Partial<IdentiteApprenant>;

/** A complete IdentiteApprenant from some of its fields (the others null). */
export function identiteApprenant(fields: IdentiteFields): IdentiteApprenant {
  const id = {} as Record<string, string | null>;
  for (const f of FIELDS) id[f] = (fields as Record<string, string | null | undefined>)[f] ?? null;
  return id as unknown as IdentiteApprenant;
}

/** The paths of `value` that the schema refuses (for the error message). */
function invalidPaths(value: unknown): string[] {
  const paths: string[] = [];
  TYPE.isValid(value, { ...CHECK, errorHook: (path) => paths.push(path.join('.') || '(identité)') });
  return paths;
}

/**
 * Seals an identity with the data key (AES-256-GCM). Throws IdentiteIllisibleError when `id` does
 * not match the schema (a bug: the normaliser builds it): nothing unchecked is ever sealed.
 */
export function sealIdentite(dataKey: Buffer, id: IdentiteApprenant): Buffer {
  if (!TYPE.isValid(id, CHECK))
    throw new IdentiteIllisibleError(`identité hors schéma (${invalidPaths(id).join(', ')}) : non chiffrée`);
  const compact: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = id[f];
    if (v !== null && v !== undefined) compact[f] = v;
  }
  return sealJson(dataKey, compact);
}

/**
 * Opens a sealed identity. Throws DecryptionError (not sealed with this key, or altered) or
 * IdentiteIllisibleError (opened, but not an IdentiteApprenant: unknown or missing fields,
 * wrong types).
 */
export function openIdentite(dataKey: Buffer, sealed: Buffer | Uint8Array): IdentiteApprenant {
  const raw = openJson<unknown>(dataKey, Buffer.isBuffer(sealed) ? sealed : Buffer.from(sealed));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new IdentiteIllisibleError('identité illisible : un objet JSON est attendu');
  const id = {} as Record<string, unknown>;
  for (const f of FIELDS) id[f] = (raw as Record<string, unknown>)[f] ?? null;
  for (const k of Object.keys(raw)) if (!(k in id)) id[k] = (raw as Record<string, unknown>)[k];
  if (!TYPE.isValid(id, CHECK))
    throw new IdentiteIllisibleError(`identité hors schéma (${invalidPaths(id).join(', ')})`);
  return id as unknown as IdentiteApprenant;
}

/**
 * `openIdentite`, or null when the blob is empty, does not open with this key or is not an
 * identity (the caller counts and logs it, never shows the blob).
 */
export function openIdentiteOrNull(
  dataKey: Buffer,
  sealed: Buffer | Uint8Array | null,
): IdentiteApprenant | null {
  if (!sealed || sealed.length === 0) return null;
  try {
    return openIdentite(dataKey, sealed);
  } catch (err) {
    if (err instanceof DecryptionError || err instanceof IdentiteIllisibleError) return null;
    throw err;
  }
}
