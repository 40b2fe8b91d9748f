/**
 * Bearer API key authentication of the ingestion routes, and the rule of what a key may write.
 *
 * Rule (connectors/README.md): a key of organisation (UAI, SIRET) writes the records whose
 * responsable pair or formateur pair is exactly that (UAI, SIRET): a CFA transmits for itself as
 * formateur, and a responsible CFA for the sites it is responsible for.
 */
import type { FastifyRequest } from 'fastify';
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
 * Whether `item` names another organisation than `key`'s: true when at least one of its pairs is
 * readable and none equals the key's. Items whose pairs are unreadable are left to validation.
 */
export function namesOtherOrganisation(key: Organisation, item: unknown): boolean {
  if (typeof item !== 'object' || item === null) return false;
  const pairs = [
    pair(item as Record<string, unknown>, 'responsable'),
    pair(item as Record<string, unknown>, 'formateur'),
  ].filter((p): p is Organisation => p !== null);
  return pairs.length > 0 && !pairs.some((p) => p.uai === key.uai && p.siret === key.siret);
}
