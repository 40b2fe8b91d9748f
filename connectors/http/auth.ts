/**
 * Bearer API key authentication of the ingestion routes, and the check of what a key may write
 * before anything is ingested.
 *
 * Rule (core/authorisation.ts, connectors/README.md): a key of organisation (UAI, SIRET) writes
 * the records whose formateur pair is exactly that pair, or whose formateur is attached to it in
 * the relations referential (TDB_RELATIONS_ORGANISMES_CSV) while the record names it responsable.
 */
import type { FastifyRequest } from 'fastify';
import type { RelationsOrganismes } from '../../streams/referentiels/relations';
import { writeRefusal } from '../core/authorisation';
import type { ValidationIssue } from '../core/issues';
import { normaliseSiret, normaliseUai } from '../core/normalise/identifiants';
import type { Organisation } from '../core/pipeline';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys';
import { httpError } from '../../api/errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated ERP API key (ingestion routes only). */
    apiKey?: ApiKeyRecord;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1] ?? null;
}

/**
 * onRequest hook: 401 without a key, with an unknown key or a revoked one — before the body is
 * read (a large or malformed body without a valid key costs nothing and says nothing).
 */
export function requireApiKey(store: ApiKeyStore) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) throw httpError('CLE_API_MANQUANTE', []);
    const record = await store.lookup(token);
    if (!record) throw httpError('CLE_API_INCONNUE', []);
    if (record.revoked_at) throw httpError('CLE_API_REVOQUEE', [record.revoked_at]);
    request.apiKey = record;
  };
}

function pair(r: Record<string, unknown>, kind: 'responsable' | 'formateur'): Organisation | null {
  try {
    return {
      uai: normaliseUai('uai', r[`etablissement_${kind}_uai`]).value,
      siret: normaliseSiret('siret', r[`etablissement_${kind}_siret`]).value,
    };
  } catch {
    return null;
  }
}

/**
 * The ORGANISME_NON_AUTORISE issue of an item `key` may not write (core/authorisation.ts: its own
 * formateur, or a formateur attached to it as responsable), or null. Items whose pairs cannot be
 * read are left to validation (they are rejected there, naming the field).
 */
export function refusedItem(
  key: Organisation,
  item: unknown,
  relations: RelationsOrganismes,
): ValidationIssue | null {
  if (typeof item !== 'object' || item === null) return null;
  const formateur = pair(item as Record<string, unknown>, 'formateur');
  const responsable = pair(item as Record<string, unknown>, 'responsable');
  if (!formateur || !responsable) return null;
  return writeRefusal(key, formateur, responsable, relations);
}
