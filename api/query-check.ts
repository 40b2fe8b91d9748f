/**
 * Query values checked by their own parsers before the route's JSON schema, so that a refusal
 * gives the real reason ("code de région inconnu", "caractères invalides", "format AAAA-MM-JJ
 * attendu") rather than the first schema keyword that fails (a `maxLength` said "valeur trop
 * longue" for `region='; DROP TABLE x--`). The schema still validates what passes here (types,
 * bounds, unknown parameters); no value reaches SQL before its parser accepted it.
 *
 * For each query parameter the route declares: an encoding that is not valid UTF-8 or %XX in the
 * raw URL (the query parser keeps such a value undecoded) → CARACTERES_INVALIDES; a repeated
 * parameter → "une seule valeur attendue"; then the field's parser (filters, dates), or the
 * character check alone for other fields.
 */
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { badField } from './errors';
import { checkCharacters } from './params';

/** Checks one query value; throws a 400 ApiError naming the field. */
export type QueryValueCheck = (raw: unknown) => unknown;

/** Names of the raw query parameters whose value is not valid percent-encoded UTF-8. */
export function undecodableParameters(url: string): Set<string> {
  const out = new Set<string>();
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    } catch {
      continue; // an undecodable name is an unknown parameter: the schema names it
    }
    try {
      decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      out.add(key);
    }
  }
  return out;
}

function declaredQuery(request: FastifyRequest): Record<string, unknown> | undefined {
  const schema = request.routeOptions?.schema as
    { querystring?: { properties?: Record<string, unknown> } } | undefined;
  return schema?.querystring?.properties;
}

/**
 * A preValidation hook checking the declared query parameters with `checks` (field → check),
 * others with the character check alone.
 */
export function checkQuery(checks: Readonly<Record<string, QueryValueCheck>>): preValidationAsyncHookHandler {
  return async (request: FastifyRequest) => {
    const declared = declaredQuery(request);
    if (!declared) return;
    const query = request.query as Record<string, unknown>;
    const entries = Object.entries(query).filter(([k]) => Object.hasOwn(declared, k));
    if (entries.length === 0) return;
    const undecodable = entries.some(([, v]) => String(v).includes('%'))
      ? undecodableParameters(request.url)
      : new Set<string>();
    for (const [key, value] of entries) {
      if (undecodable.has(key))
        throw badField(
          key,
          "caractères invalides (encodage UTF-8 ou séquence %XX incorrecte dans l'URL)",
          'CARACTERES_INVALIDES',
        );
      if (Array.isArray(value)) throw badField(key, 'une seule valeur attendue (paramètre répété)');
      const check = checks[key];
      if (check) check(value);
      else if (typeof value === 'string') checkCharacters(key, value);
    }
  };
}
