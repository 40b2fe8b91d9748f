/**
 * Authentication and authorisation of the read routes, as a Fastify plugin shared by the whole
 * application (fastify-plugin: its decorators are visible to every route family, e.g. the
 * Mission Locale alerts routes of issue 7):
 *
 * - `request.principal`: who is calling (api/auth/tokens.ts), set by the guard below;
 * - `app.authorize({ roles, scope? })`: a preHandler for a route. No `Authorization` header means
 *   the public role; `Bearer <jwt>` is verified (401 when invalid or expired, including ERP API
 *   keys, which are not JWTs). A role outside `roles` gets 401 when anonymous, 403 otherwise;
 *   `scope(request, principal)` returning false gets 403.
 *
 * The guard runs only on routes that use it: the ERP ingestion routes keep their own API-key auth.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../errors';
import { createTokenVerifier, InvalidTokenError, PUBLIC, type Principal, type Role } from './tokens';
import { territoryIndex, type TerritoryIndex } from './perimetre';

export interface AuthorizeOptions {
  /** Roles allowed on the route. */
  roles: readonly Role[];
  /** Extra scope check (e.g. the Mission Locale id of the path is in the token's scope). */
  scope?: (request: FastifyRequest, principal: Principal) => boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler that authenticates the caller and checks role and scope (api/auth/plugin.ts). */
    authorize(opts: AuthorizeOptions): preHandlerAsyncHookHandler;
    /** The caller of a request: PUBLIC without a token; throws a 401 ApiError on a bad token. */
    authenticate(request: FastifyRequest): Principal;
    /** Département sets of régions and académies, for scope checks. */
    territoryIndex: TerritoryIndex;
  }
  interface FastifyRequest {
    /** Set by `app.authorize` (PUBLIC before). */
    principal: Principal;
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

    app.decorate('authenticate', (request: FastifyRequest): Principal => {
      const header = request.headers.authorization;
      if (header === undefined || header === '') return PUBLIC;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw unauthorized('en-tête Authorization attendu : Bearer <jeton>', 'JETON_INVALIDE');
      verifier ??= createTokenVerifier(app.ctx.secrets.tokenSecret, app.ctx.territoires);
      try {
        return verifier.verify(m[1]!, app.ctx.clock.now());
      } catch (err) {
        if (err instanceof InvalidTokenError) throw unauthorized(err.message, err.code);
        throw err;
      }
    });

    app.decorate('authorize', (opts: AuthorizeOptions): preHandlerAsyncHookHandler => {
      return async (request) => {
        const principal = app.authenticate(request);
        request.principal = principal;
        if (!opts.roles.includes(principal.role)) {
          if (principal.role === 'public')
            throw unauthorized('authentification requise : jeton Bearer attendu');
          throw forbidden(`le rôle ${principal.role} n'a pas accès à cette route`);
        }
        if (opts.scope && !opts.scope(request, principal))
          throw forbidden('hors du périmètre du jeton', undefined, 'HORS_PERIMETRE');
      };
    });
  },
  { name: 'tdb-auth' },
);
