/**
 * An isolated platform for one test file: its own namespace (topics, consumer groups,
 * ClickHouse database, Redis keys, registry subjects) on the shared real services, removed by
 * `cleanup()`.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { bootstrapNamespace } from '../../infra/bootstrap';
import { loadConfig, type Config } from '../../infra/config';
import { createContext, type Context } from '../../infra/context';
import { deleteNamespaceTopics } from '../../infra/kafka/admin';
import { topicSpecs } from '../../infra/kafka/topics';
import { deleteNamespaceKeys } from '../../infra/redis/client';
import { silentProgress } from '../../infra/services/progress';

export interface TestPlatform {
  config: Config;
  ctx: Context;
  cleanup(): Promise<void>;
}

/**
 * The referential extracts the tests run with, shipped in the repository
 * (test/fixtures/referentiels/README.md: source, licence, how they were cut).
 */
export const REFERENTIELS_DIR = path.join(__dirname, '..', 'fixtures', 'referentiels');
/** 380 real training organisations (format of the national export: BOM, `;`, quoted line breaks). */
export const ORGANISMES_CSV = path.join(REFERENTIELS_DIR, 'organismes.csv');
/** The zones d'emploi of their communes (and of every commune of the départements 01, 13, 69). */
export const ZONES_EMPLOI_CSV = path.join(REFERENTIELS_DIR, 'zones-emploi-communes.csv');

/**
 * The referentials of a benchmark or a demo-like run: the full files when TDB_ORGANISMES_CSV and
 * TDB_ZONES_EMPLOI_CSV are set (e.g. the national files), the extracts above otherwise.
 */
export function referentials(env: NodeJS.ProcessEnv = process.env): {
  TDB_ORGANISMES_CSV: string;
  TDB_ZONES_EMPLOI_CSV: string;
} {
  return {
    TDB_ORGANISMES_CSV: env.TDB_ORGANISMES_CSV || ORGANISMES_CSV,
    TDB_ZONES_EMPLOI_CSV: env.TDB_ZONES_EMPLOI_CSV || ZONES_EMPLOI_CSV,
  };
}

/** A fresh namespace `t_<random>`, bootstrapped (topics, schemas, migrations). */
export async function createTestPlatform(
  env: Record<string, string | undefined> = {},
): Promise<TestPlatform> {
  const ns = `t_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    TDB_NAMESPACE: ns,
    ...env,
  });
  // Creating a namespace's topics can fail transiently (UNKNOWN_TOPIC_OR_PARTITION on the first
  // metadata request) while other test files create and delete theirs on the same broker.
  for (let attempt = 1; ; attempt++) {
    try {
      await bootstrapNamespace(config, silentProgress);
      break;
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !err.name.startsWith('KafkaJS')) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
  const ctx = createContext(config, 'test');
  return {
    config,
    ctx,
    async cleanup() {
      await ctx.clickhouse.command(`DROP DATABASE IF EXISTS ${ns}`).catch(() => undefined);
      await deleteNamespaceKeys(ctx.redis, ns).catch(() => undefined);
      await deleteNamespaceTopics(config).catch(() => undefined);
      await Promise.all(
        topicSpecs(config).map((t) =>
          fetch(`${config.schemaRegistryUrl}/subjects/${encodeURIComponent(`${t.name}-value`)}`, {
            method: 'DELETE',
          }).catch(() => undefined),
        ),
      );
      await ctx.close();
    },
  };
}

/** Polls `probe` until it returns a value accepted by `until`, or fails after `timeoutMs` with the last value. */
export async function eventually<T>(
  probe: () => Promise<T>,
  until: (v: T) => boolean,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (until(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`condition not met after ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
