/**
 * Signed access tokens of the read API: JWT HS256 (fast-jwt) with the platform's token secret
 * (ctx.secrets.tokenSecret), issuer `tdb`, audience `tdb-api`, a token id `jti` (random UUID: what
 * `tdb tokens revoke` names, api/auth/revocations.ts), `nbf` (valid from; the signing instant
 * unless later), an expiry, and the claims `role` and `scope`. `nbf` and `exp` are checked against
 * the platform clock; a token without `jti` cannot be revoked and is refused:
 *
 * | role           | scope (array of codes)                               |
 * |----------------|------------------------------------------------------|
 * | cfa            | UAI of the organisation(s) (valid check letter)      |
 * | mission_locale | the Mission Locale's id (one)                        |
 * | dreets         | région code(s) (referential)                         |
 * | ddets          | département code(s) (referential)                    |
 * | academie       | académie code(s) (referential)                       |
 * | admin          | none                                                 |
 *
 * No token means the `public` role (no token is ever issued for it). ERP API keys are not JWTs:
 * they are refused here (they only write, on the ingestion routes).
 */
import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { isValidUai } from '../../streams/referentiels/identifiants';
import type { Territoires } from '../../streams/referentiels/territoires';
import { PermanentError } from '../../infra/errors';

export const ROLES = ['public', 'cfa', 'mission_locale', 'dreets', 'ddets', 'academie', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Roles a token can carry (public is the absence of a token). */
export const TOKEN_ROLES = ROLES.filter((r) => r !== 'public') as Exclude<Role, 'public'>[];

/** Who is calling: the role, its scope (codes) and the token's subject (for the access log). */
export interface Principal {
  role: Role;
  scope: readonly string[];
  /** The token's `sub` ('' for the public role). */
  sub: string;
}

export const PUBLIC: Principal = Object.freeze({ role: 'public', scope: Object.freeze([]), sub: '' });

const ISSUER = 'tdb';
const AUDIENCE = 'tdb-api';
/** Default token lifetime: 90 days. */
export const DEFAULT_TTL_SECONDS = 90 * 24 * 3600;

/** A scope that does not fit the role (the message names the code at fault). */
export class ScopeError extends PermanentError {
  override name = 'ScopeError';
}

/**
 * Checks and normalises a role's scope against the referentials. Throws ScopeError.
 * Source: the table above (issue 6 §4).
 */
export function normaliseScope(role: Role, scope: readonly string[], territoires: Territoires): string[] {
  const values = [...new Set(scope.map((s) => s.trim()).filter(Boolean))];
  const check = (ok: (v: string) => boolean, what: string) => {
    if (values.length === 0) throw new ScopeError(`le rôle ${role} demande au moins un code (${what})`);
    for (const v of values)
      if (!ok(v))
        throw new ScopeError(`code invalide pour le rôle ${role} : ${JSON.stringify(v)} (${what} attendu)`);
    return values;
  };
  switch (role) {
    case 'cfa':
      return check((v) => isValidUai(v), 'UAI');
    case 'mission_locale':
      if (values.length !== 1)
        throw new ScopeError('le rôle mission_locale demande exactement un identifiant de Mission Locale');
      return check((v) => /^[A-Za-z0-9_-]{1,64}$/.test(v), 'identifiant de Mission Locale');
    case 'dreets':
      return check((v) => territoires.codes.regions.has(v), 'code de région');
    case 'ddets':
      return check((v) => territoires.codes.departements.has(v), 'code de département');
    case 'academie':
      return check((v) => territoires.codes.academies.has(v), "code d'académie");
    case 'admin':
    case 'public':
      if (values.length > 0) throw new ScopeError(`le rôle ${role} n'a pas de périmètre`);
      return [];
  }
}

export interface TokenRequest {
  role: Exclude<Role, 'public'>;
  scope: readonly string[];
  /** Who the token is for (kept in the access log), e.g. "dreets-ara:jdupont". */
  sub: string;
  /** Lifetime in seconds (default 90 days), counted from the signing instant. */
  ttlSeconds?: number;
  /** Valid from this instant (epoch ms; default: the signing instant). */
  notBeforeMs?: number;
}

/** A signed token and its id (to revoke it). */
export interface SignedToken {
  token: string;
  jti: string;
}

/** Signs a token. `nowMs` is the platform clock (ctx.clock.now()). Throws ScopeError on a bad scope. */
export function signToken(
  secret: string,
  req: TokenRequest,
  territoires: Territoires,
  nowMs: number,
): string {
  return signTokenWithId(secret, req, territoires, nowMs).token;
}

/** `signToken`, returning the token id too (printed by `tdb tokens create`, to revoke it). */
export function signTokenWithId(
  secret: string,
  req: TokenRequest,
  territoires: Territoires,
  nowMs: number,
): SignedToken {
  if (!TOKEN_ROLES.includes(req.role)) throw new ScopeError(`rôle inconnu : ${JSON.stringify(req.role)}`);
  const scope = normaliseScope(req.role, req.scope, territoires);
  const jti = randomUUID();
  const sign = createSigner({
    key: secret,
    algorithm: 'HS256',
    iss: ISSUER,
    aud: AUDIENCE,
    sub: req.sub,
    jti,
    expiresIn: (req.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000,
    clockTimestamp: nowMs,
  });
  // nbf in seconds, like iat and exp (RFC 7519 §4.1.5); never before the signing instant.
  const nbf = Math.floor(Math.max(req.notBeforeMs ?? nowMs, nowMs) / 1000);
  return { token: sign({ role: req.role, scope, nbf }), jti };
}

/** Why a bearer token was refused (→ 401). */
export class InvalidTokenError extends PermanentError {
  override name = 'InvalidTokenError';
  constructor(
    readonly code: 'JETON_EXPIRE' | 'JETON_INVALIDE' | 'JETON_PAS_ENCORE_VALIDE' | 'JETON_REVOQUE',
    message: string,
  ) {
    super(message);
  }
}

/** fast-jwt's refusals, in words a user can act on (its codes are internal). */
const TOKEN_REASONS: Partial<Record<string, string>> = {
  FAST_JWT_MALFORMED: 'format incorrect (trois parties base64url séparées par des points attendues)',
  FAST_JWT_INVALID_SIGNATURE: 'signature incorrecte (jeton modifié ou émis par une autre plateforme)',
  FAST_JWT_MISSING_SIGNATURE: 'signature absente',
  FAST_JWT_INVALID_ALGORITHM: 'algorithme de signature non accepté (HS256 attendu)',
  FAST_JWT_INVALID_CLAIM_VALUE: 'émetteur ou audience incorrects',
  FAST_JWT_INVALID_CLAIM_TYPE: 'revendication de type incorrect',
  FAST_JWT_MISSING_REQUIRED_CLAIM:
    'revendication obligatoire absente (exp, jti, role, scope, sub) ; un jeton émis sans jti ne peut pas être révoqué : demandez-en un nouveau',
  FAST_JWT_INVALID_PAYLOAD: 'contenu illisible',
};

/** A verifier bound to a secret; `verify(token, nowMs)` returns the principal or throws InvalidTokenError. */
export function createTokenVerifier(secret: string, territoires: Territoires) {
  // Expiry is checked against the platform clock below (TDB_CLOCK), not fast-jwt's own clock.
  const verifier = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    requiredClaims: ['exp', 'jti', 'role', 'scope', 'sub'],
    ignoreExpiration: true,
    ignoreNotBefore: true,
  });
  /** The principal and the token id of a valid token (signature, claims, nbf and exp at `nowMs`). */
  function claims(token: string, nowMs: number): { principal: Principal; jti: string; exp: number } {
    let payload: {
      role?: unknown;
      scope?: unknown;
      sub?: unknown;
      exp?: unknown;
      nbf?: unknown;
      jti?: unknown;
    };
    try {
      payload = verifier(token) as typeof payload;
    } catch (err) {
      const why = err instanceof TokenError ? TOKEN_REASONS[err.code] : undefined;
      throw new InvalidTokenError('JETON_INVALIDE', `jeton invalide${why ? ` : ${why}` : ''}`);
    }
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= nowMs)
      throw new InvalidTokenError('JETON_EXPIRE', 'jeton expiré');
    if (payload.nbf !== undefined && typeof payload.nbf !== 'number')
      throw new InvalidTokenError('JETON_INVALIDE', 'jeton invalide : revendication nbf de type incorrect');
    if (typeof payload.nbf === 'number' && payload.nbf * 1000 > nowMs)
      throw new InvalidTokenError(
        'JETON_PAS_ENCORE_VALIDE',
        `jeton pas encore valide : valable à partir du ${new Date(payload.nbf * 1000).toISOString()}`,
      );
    if (typeof payload.jti !== 'string' || payload.jti === '')
      throw new InvalidTokenError('JETON_INVALIDE', 'jeton invalide : identifiant (jti) absent ou incorrect');
    return { principal: principalOf(payload), jti: payload.jti, exp: payload.exp };
  }

  function principalOf(payload: { role?: unknown; scope?: unknown; sub?: unknown }): Principal {
    const role = payload.role as Role;
    if (!TOKEN_ROLES.includes(role as Exclude<Role, 'public'>))
      throw new InvalidTokenError('JETON_INVALIDE', 'rôle inconnu dans le jeton');
    if (!Array.isArray(payload.scope) || !payload.scope.every((s) => typeof s === 'string')) {
      throw new InvalidTokenError('JETON_INVALIDE', 'périmètre invalide dans le jeton');
    }
    try {
      return {
        role,
        scope: normaliseScope(role, payload.scope as string[], territoires),
        sub: String(payload.sub),
      };
    } catch (err) {
      throw new InvalidTokenError(
        'JETON_INVALIDE',
        err instanceof Error ? err.message : 'périmètre invalide',
      );
    }
  }

  return {
    claims,
    /** The principal of a valid token; throws InvalidTokenError (revocation is checked by the caller). */
    verify: (token: string, nowMs: number): Principal => claims(token, nowMs).principal,
  };
}
