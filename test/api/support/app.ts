/** A test namespace with the real referentials, a fixed clock, generated facts and the application. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../api/app';
import { signToken, type TokenRequest } from '../../../api/auth/tokens';
import {
  createTestPlatform,
  ORGANISMES_CSV,
  ZONES_EMPLOI_CSV,
  type TestPlatform,
} from '../../support/platform';
import { loadDataset, type Dataset, type ExtraRecords } from './dataset';

/** "Today" of the API tests (TDB_CLOCK). */
export const TODAY = '2025-03-15';

/** An HTTP answer (fetch: Fastify's inject() cannot load its ESM-only cookie dependency under Jest on Node 20). */
export interface Answer {
  statusCode: number;
  headers: Headers;
  body: string;
  buffer: Buffer;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** GET `path` on a listening server. */
export async function httpGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const r = await fetch(base + path, { headers });
  const buffer = Buffer.from(await r.arrayBuffer());
  const body = buffer.toString('utf8');
  return { statusCode: r.status, headers: r.headers, body, buffer, json: () => JSON.parse(body) };
}

export interface ApiFixture {
  platform: TestPlatform;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> of the listening app. */
  base: string;
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  ds: Dataset;
  token(req: Omit<TokenRequest, 'sub'> & { sub?: string }): string;
  close(): Promise<void>;
}

/**
 * createTestPlatform, tried up to three times: creating a namespace's topics can fail transiently
 * while other test files create and delete theirs on the same broker.
 */
async function platformWithRetry(env: Record<string, string> = {}): Promise<TestPlatform> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createTestPlatform({
        TDB_CLOCK: TODAY,
        TDB_ORGANISMES_CSV: ORGANISMES_CSV,
        TDB_ZONES_EMPLOI_CSV: ZONES_EMPLOI_CSV,
        // The access matrix answers many 401s from one address on purpose (limit tested in security.test.ts).
        TDB_AUTH_FAILURE_LIMIT: '1000',
        ...env,
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/**
 * `env` overrides settings of the test platform (e.g. a fixed TDB_DATA_KEY, so that the public
 * cell keys, derived from it, are the same on every run); `extra` adds records to the dataset.
 */
export async function apiFixture(
  count: number,
  opts: { seed?: number; env?: Record<string, string>; extra?: ExtraRecords } = {},
): Promise<ApiFixture> {
  const platform = await platformWithRetry(opts.env);
  const { ctx } = platform;
  const ds = await loadDataset(ctx, count, opts.seed, opts.extra);
  // No result cache: tests compare each answer with the data as written.
  const app = await buildApp(ctx, { logger: false, queryCacheTtlMs: 0 });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    platform,
    app,
    base,
    get: (path, headers) => httpGet(base, path, headers),
    ds,
    token: (req) =>
      signToken(
        ctx.secrets.tokenSecret,
        { sub: `test-${req.role}`, ...req },
        ctx.territoires,
        ctx.clock.now(),
      ),
    async close() {
      try {
        await app.close();
      } finally {
        await platform.cleanup();
      }
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Records every SQL text the application sends to ClickHouse, by wrapping the real client's
 * `query` (nothing is mocked: each query still runs). Returns the live list.
 */
export function recordQueries(fx: ApiFixture): string[] {
  const queries: string[] = [];
  const ch = fx.platform.ctx.clickhouse;
  const query = ch.query.bind(ch);
  ch.query = ((text: string) => {
    queries.push(text);
    return query(text);
  }) as typeof ch.query;
  return queries;
}
