/**
 * Prepares one namespace on running services: its topics (explicit partitions and compaction),
 * its Avro schemas in the registry, its ClickHouse database and migrations. Idempotent; called by
 * `tdb services start` for the configured namespace and by the tests for their own namespaces.
 */
import { createClickHouse } from './clickhouse/client';
import { migrate } from './clickhouse/migrate';
import type { Config } from './config';
import { ensureTopics } from './kafka/admin';
import { registerSchemas } from './kafka/codec';
import type { Progress } from './services/progress';

export async function bootstrapNamespace(c: Config, progress: Progress): Promise<void> {
  await ensureTopics(c, progress);
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
