/**
 * Authentication and authorisation of the read routes, as a Fastify plugin shared by the whole
 * application (fastify-plugin: its decorators are visible to every route family, e.g. the
 * Mission Locale alerts routes of issue 7):
 *
 * - `request.principal`: who is calling (api/auth/tokens.ts), set by the guard below;
 * - `app.authorize({ roles, scope? })`: an **onRequest** hook for a route, so that a caller is
 *   authorised before anything of the request is parsed or validated (a bad body of another
 *   Mission Locale's alert is a 403, not a 400 that would say the route and alert exist). No
 *   `Authorization` header means the public role; `Bearer <jwt>` is verified (401 when invalid,
 *   not yet valid (`nbf`), expired or revoked (api/auth/revocations.ts), including ERP API keys,
 *   which are not JWTs). A role outside `roles` gets 401 when anonymous, 403 otherwise;
 *   `scope(request, principal)` returning false gets 403 (path parameters are known at onRequest).
 *   Used as a preHandler or preValidation it would run after validation: the application then
 *   refuses to start (onRoute check below).
 *
 * The guard runs only on routes that use it: the ERP ingestion routes keep their own API-key auth.
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../errors';
import { revocationList, type RevocationList } from './revocations';
import { createTokenVerifier, InvalidTokenError, PUBLIC, type Principal, type Role } from './tokens';
import { territoryIndex, type TerritoryIndex } from './perimetre';

export interface AuthorizeOptions {
  /** Roles allowed on the route. */
  roles: readonly Role[];
  /** Extra scope check (e.g. the Mission Locale id of the path is in the token's scope). */
  scope?: (request: FastifyRequest, principal: Principal) => boolean;
}

/** Marks the hooks made by `authorize`, so that the onRoute check can find them. */
const GUARD = Symbol('tdb-authorize');

declare module 'fastify' {
  interface FastifyInstance {
    /** An onRequest hook that authenticates the caller and checks role and scope (api/auth/plugin.ts). */
    authorize(opts: AuthorizeOptions): onRequestAsyncHookHandler;
    /** The caller of a request: PUBLIC without a token; rejects with a 401 ApiError on a bad or revoked token. */
    authenticate(request: FastifyRequest): Promise<Principal>;
    /** Département sets of régions and académies, for scope checks. */
    territoryIndex: TerritoryIndex;
    /** Revoked token ids (api/auth/revocations.ts). */
    revocations: RevocationList;
  }
  interface FastifyRequest {
    /** Set by `app.authorize` (PUBLIC before). */
    principal: Principal;
  }
}

/** Throws when a route uses an `authorize` guard in a hook that runs after validation. */
function checkGuardPlacement(route: { method: string | string[]; url: string } & Record<string, unknown>) {
  for (const hook of ['preValidation', 'preHandler', 'preParsing', 'preSerialization'] as const) {
    const fns = ([] as unknown[]).concat(route[hook] ?? []);
    if (fns.some((f) => typeof f === 'function' && GUARD in f))
      throw new Error(
        `${String(route.method)} ${route.url}: app.authorize(...) must be the route's onRequest hook (it is its ${hook}): a request must be authorised before its body is parsed and validated`,
      );
  }
}

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    let verifier: ReturnType<typeof createTokenVerifier> | undefined;
    let index: TerritoryIndex | undefined;
    app.decorate('territoryIndex', {
      getter: () => (index ??= territoryIndex(app.ctx.territoires)),
    });
    app.decorateRequest('principal', {
      getter(this: FastifyRequest & { _principal?: Principal }) {
        return this._principal ?? PUBLIC;
      },
      setter(this: FastifyRequest & { _principal?: Principal }, p: Principal) {
        this._principal = p;
      },
    });

    let revocations: RevocationList | undefined;
    const revoked = () =>
      (revocations ??= revocationList(app.ctx.redis, app.ctx.keys, {
        onStale: (err) => app.log.warn({ err: err.message }, 'token revocation list not refreshed (Redis)'),
      }));
    app.decorate('revocations', { getter: revoked });
    app.addHook('onRoute', (route) => checkGuardPlacement(route as never));

    app.decorate('authenticate', async (request: FastifyRequest): Promise<Principal> => {
      const header = request.headers.authorization;
      if (header === undefined || header === '') return PUBLIC;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw unauthorized('en-tête Authorization attendu : Bearer <jeton>', 'JETON_INVALIDE');
      verifier ??= createTokenVerifier(app.ctx.secrets.tokenSecret, app.ctx.territoires);
      let claims;
      try {
        claims = verifier.claims(m[1]!, app.ctx.clock.now());
      } catch (err) {
        if (err instanceof InvalidTokenError) throw unauthorized(err.message, err.code);
        throw err;
      }
      if (await revoked().isRevoked(claims.jti))
        throw unauthorized(
          `jeton révoqué (identifiant ${claims.jti}) : demandez un nouveau jeton`,
          'JETON_REVOQUE',
        );
      return claims.principal;
    });

    app.decorate('authorize', (opts: AuthorizeOptions): onRequestAsyncHookHandler => {
      const guard: onRequestAsyncHookHandler = async (request) => {
        const principal = await app.authenticate(request);
        request.principal = principal;
        if (!opts.roles.includes(principal.role)) {
          if (principal.role === 'public')
            throw unauthorized('authentification requise : jeton Bearer attendu');
          throw forbidden(`le rôle ${principal.role} n'a pas accès à cette route`);
        }
        if (opts.scope && !opts.scope(request, principal))
          throw forbidden('hors du périmètre du jeton', undefined, 'HORS_PERIMETRE');
      };
      return Object.assign(guard, { [GUARD]: true });
    });
  },
  { name: 'tdb-auth' },
);
