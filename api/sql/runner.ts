/**
 * Runs rendered queries (Sql fragments only) on ClickHouse for the read API, and memoises
 * computed answers:
 *
 * - `rows(kind, query)`: one query, timed into a latency histogram per query kind (Prometheus,
 *   api/plugins/metrics.ts);
 * - `memo(key, compute)`: request coalescing (identical requests in flight share one computation,
 *   so a dashboard page opened by many users at once costs one query) and a short result cache
 *   (`ttlMs`, default 500 ms from TDB_API_CACHE_MS; 0 keeps only the coalescing). Indicators are near-real-time: the
 *   processor writes in batches, and a few seconds of staleness is the documented freshness. The
 *   key is the normalised request (route, date, filters, scope, secrecy), so the cached value is
 *   the final answer (counts summed, series cumulated, secrecy applied). Errors are never cached.
 */
import type { ClickHouse } from '../../infra/clickhouse/client';
import type { Sql } from './render';

export interface QueryRunnerOptions {
  /** Result cache lifetime in ms (default 2000; 0: coalescing only). */
  ttlMs?: number;
  /** At most this many cached answers (oldest evicted first). */
  maxEntries?: number;
  /** Called with the query kind and its ClickHouse duration in seconds. */
  observe?: (kind: string, seconds: number) => void;
}

export interface QueryRunner {
  /** Runs one query (no cache). */
  rows<T>(kind: string, query: Sql): Promise<T[]>;
  /** The answer for `key`: shared while in flight, then cached for ttlMs. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export function createQueryRunner(ch: ClickHouse, opts: QueryRunnerOptions = {}): QueryRunner {
  const ttl = opts.ttlMs ?? 500;
  const max = opts.maxEntries ?? 2000;
  const entries = new Map<string, { expires: number; result: Promise<unknown> }>();

  return {
    async rows<T>(kind: string, query: Sql): Promise<T[]> {
      const t0 = process.hrtime.bigint();
      try {
        return await ch.query<T>(query.text);
      } finally {
        opts.observe?.(kind, Number(process.hrtime.bigint() - t0) / 1e9);
      }
    },
    memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const hit = entries.get(key);
      if (hit && hit.expires > Date.now()) return hit.result as Promise<T>;
      if (hit) entries.delete(key);
      const result = compute();
      const entry = { expires: Number.POSITIVE_INFINITY, result: result as Promise<unknown> };
      entries.set(key, entry);
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
      const forget = () => {
        if (entries.get(key) === entry) entries.delete(key);
      };
      result.then(() => (ttl > 0 ? (entry.expires = Date.now() + ttl) : forget()), forget);
      return result;
    },
  };
}
