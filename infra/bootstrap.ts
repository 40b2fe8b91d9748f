/**
 * Prepares one namespace on running services: its topics (explicit partitions and compaction),
 * its Avro schemas in the registry, its ClickHouse database and migrations. Idempotent; called by
 * `tdb services start` for the configured namespace and by the tests for their own namespaces.
 */
import { createClickHouse } from './clickhouse/client';
import { migrate } from './clickhouse/migrate';
import type { Config } from './config';
import { ensureTopics } from './kafka/admin';
import { topicNames } from './kafka/topics';
import { createRedis, deleteNamespaceKeys } from './redis/client';
import { registerSchemas } from './kafka/codec';
import type { Progress } from './services/progress';

export async function bootstrapNamespace(c: Config, progress: Progress): Promise<void> {
  const created = await ensureTopics(c, progress);
  if (created.includes(topicNames(c.TDB_NAMESPACE).changes)) await forgetStaleRedisState(c, progress);
  const codec = await registerSchemas(c);
  progress.ok(
    `schemas registered (${Object.keys(codec.ids).length} subjects, ids ${[...new Set(Object.values(codec.ids))].join(', ')})`,
  );
  const ch = createClickHouse(c);
  try {
    const ran = await migrate(ch, progress);
    if (ran === 0) progress.ok(`clickhouse database ${ch.database} up to date`);
  } finally {
    await ch.close();
  }
}

/**
 * The change topic was just created, so this Kafka has no history for the namespace: any Redis
 * state of the namespace (an external Redis that outlived the Kafka data, another clone's run) is
 * stale. Kept, its CDC fingerprints would make every record look unchanged and nothing would be
 * produced or counted; it is deleted (fingerprints, processor state, alerts, API keys).
 */
async function forgetStaleRedisState(c: Config, progress: Progress): Promise<void> {
  const redis = createRedis(c);
  try {
    const n = await deleteNamespaceKeys(redis, c.TDB_NAMESPACE);
    if (n > 0)
      progress.warn(
        `redis held ${n} key(s) of namespace ${c.TDB_NAMESPACE} from a Kafka that no longer exists (its topics were just created): deleted`,
      );
  } finally {
    redis.disconnect();
  }
}
