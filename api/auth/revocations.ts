/**
 * Revoked access tokens of the read API, by token id (`jti`, api/auth/tokens.ts).
 *
 * Redis keeps a sorted set jti → revocation instant (ms) and a version counter bumped at each
 * revocation (`redisKeys(ns).revokedTokens`, `.revokedTokensVersion`). Every authenticated request
 * is checked against a local copy of the set: the copy is trusted for REFRESH_MS, then the version
 * is read (one GET) and the set re-read only when it moved. So a request costs no Redis round trip
 * most of the time, at most one GET per second per process, and a revocation made anywhere (the
 * `tdb tokens revoke` command, another API process) takes effect everywhere within REFRESH_MS.
 * When Redis cannot be read, the last copy is kept (logged by the caller); with no copy at all the
 * check throws (the request is answered 500: a token is never accepted unchecked).
 */
import type { Redis } from '../../infra/redis/client';

/** How long a process trusts its copy of the revocation list (ms). */
export const REFRESH_MS = 1000;

export interface Revocation {
  jti: string;
  /** Revocation instant (epoch ms). */
  at: number;
}

export interface RevocationList {
  /** Whether the token id is revoked (from the local copy, refreshed when older than REFRESH_MS). */
  isRevoked(jti: string): Promise<boolean>;
  /** Revokes a token id; false when it was already revoked. */
  revoke(jti: string, atMs: number): Promise<boolean>;
  /** Every revocation, oldest first. */
  list(): Promise<Revocation[]>;
}

export function revocationList(
  redis: Redis,
  keys: { revokedTokens: string; revokedTokensVersion: string },
  opts: { refreshMs?: number; onStale?: (err: Error) => void } = {},
): RevocationList {
  const refreshMs = opts.refreshMs ?? REFRESH_MS;
  let revoked: Set<string> | undefined;
  let version: string | null | undefined;
  let checkedAt = 0;
  let refreshing: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    try {
      const v = await redis.get(keys.revokedTokensVersion);
      if (revoked === undefined || v !== version) {
        revoked = new Set(await redis.zrange(keys.revokedTokens, 0, -1));
        version = v;
      }
      checkedAt = Date.now();
    } catch (err) {
      if (revoked === undefined) throw err;
      opts.onStale?.(err as Error);
    }
  }

  return {
    async isRevoked(jti) {
      // Wall-clock age of the copy (not the platform clock, which tests move).
      if (revoked === undefined || Date.now() - checkedAt >= refreshMs) {
        refreshing ??= refresh().finally(() => (refreshing = undefined));
        await refreshing;
      }
      return revoked!.has(jti);
    },
    async revoke(jti, atMs) {
      const [[, added]] = (await redis
        .multi()
        .zadd(keys.revokedTokens, 'NX', atMs, jti)
        .incr(keys.revokedTokensVersion)
        .exec()) as [[Error | null, number], [Error | null, number]];
      return added === 1;
    },
    async list() {
      const flat = await redis.zrange(keys.revokedTokens, 0, -1, 'WITHSCORES');
      const out: Revocation[] = [];
      for (let i = 0; i < flat.length; i += 2) out.push({ jti: flat[i]!, at: Number(flat[i + 1]) });
      return out;
    },
  };
}
