/**
 * Failed authentications limited per client address, on every route under /api/ (ingestion and
 * read routes alike): once an address got `TDB_AUTH_FAILURE_LIMIT` answers 401 (no key, an unknown,
 * revoked or malformed key or token) within a minute, its requests are answered 429 until that
 * minute ends, with `Retry-After` (seconds). Requests with valid credentials are limited by the
 * routes' own rate limits (connectors/http: TDB_API_RATE_LIMIT per key); this limit is for the
 * ones without: guessing keys, a misconfigured client looping on 401.
 *
 * Counting: each 401 increments, before it is sent, a Redis counter per address (`redisKeys(ns).authFailures`,
 * expiring one minute after the address' first failure), shared by every API process. Checking
 * costs nothing: a process that sees the counter reach the limit remembers the address until the
 * counter expires and refuses it from memory (another process learns it at its own next 401
 * from that address: at most one more attempt per process). The address is the socket's
 * (`request.ip`): behind a reverse proxy, Fastify's trustProxy must be set for it to be the
 * client's.
 *
 * Refusals are errors with `code` TDB_ERR_ECHECS_AUTHENTIFICATION and status 429; each route
 * family's error handler answers them in its shape (code `TROP_D_ECHECS_D_AUTHENTIFICATION`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The `code` of the error raised for an address over the limit. */
export const AUTH_FAILURES_ERROR = 'TDB_ERR_ECHECS_AUTHENTIFICATION';

/** The counting window (ms). */
export const WINDOW_MS = 60_000;

export class AuthFailuresError extends Error {
  override name = 'AuthFailuresError';
  readonly code = AUTH_FAILURES_ERROR;
  readonly statusCode = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface AuthFailuresOptions {
  /** Failed authentications per address and minute (default TDB_AUTH_FAILURE_LIMIT). */
  limit?: number;
}

export const authFailuresPlugin = fp<AuthFailuresOptions>(
  async (app: FastifyInstance, opts) => {
    const limit = opts.limit ?? app.ctx.config.TDB_AUTH_FAILURE_LIMIT;
    const prefix = app.ctx.keys.authFailures;
    /** Address → instant (epoch ms, wall clock) its counter expires, for the addresses over the limit. */
    const blocked = new Map<string, number>();
    const guarded = (request: FastifyRequest) => request.url.startsWith('/api/');

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (blocked.size === 0 || !guarded(request)) return;
      const until = blocked.get(request.ip);
      if (until === undefined) return;
      const left = until - Date.now();
      if (left <= 0) {
        blocked.delete(request.ip);
        return;
      }
      const seconds = Math.ceil(left / 1000);
      void reply.header('retry-after', String(seconds));
      throw new AuthFailuresError(
        `trop d'échecs d'authentification depuis cette adresse (${limit} par minute) : réessayez dans ${seconds} s avec une clé d'API ou un jeton valide`,
        seconds,
      );
    });

    // Counted before the 401 is sent (onSend): the client's next request already sees the count.
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (reply.statusCode !== 401 || !guarded(request)) return payload;
      const key = `${prefix}${request.ip}`;
      try {
        const res = await app.ctx.redis
          .multi()
          .set(key, '0', 'PX', WINDOW_MS, 'NX')
          .incr(key)
          .pttl(key)
          .exec();
        const count = Number(res?.[1]?.[1] ?? 0);
        const ttl = Number(res?.[2]?.[1] ?? WINDOW_MS);
        if (count >= limit) {
          const now = Date.now();
          // Addresses that never come back are forgotten once their minute is over.
          if (blocked.size >= 1000) for (const [ip, until] of blocked) if (until <= now) blocked.delete(ip);
          blocked.set(request.ip, now + (ttl > 0 ? ttl : WINDOW_MS));
        }
      } catch (err) {
        // A Redis outage must not turn the 401 into an error of its own.
        request.log.warn({ err: (err as Error).message }, 'failed authentication not counted (Redis)');
      }
      return payload;
    });
  },
  { name: 'tdb-auth-failures' },
);
