/** Topic administration: readiness, explicit creation of the platform's topics, deletion for tests. */
import type { Config } from '../config';
import type { Progress } from '../services/progress';
import { createKafka } from './client';
import { topicSpecs } from './topics';

/** True when the broker answers a metadata request (used as the readiness probe). */
export async function kafkaReady(c: Config): Promise<boolean> {
  const admin = createKafka(c, 'probe', { silent: true }).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates the namespace's topics that do not exist yet (never alters existing ones; a topic with
 * fewer partitions than configured is reported). Idempotent.
 */
/** Creates the namespace's missing topics; returns the names of those it created. */
export async function ensureTopics(c: Config, progress: Progress): Promise<string[]> {
  const admin = createKafka(c, 'admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicSpecs(c).filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
      progress.ok(`created ${missing.length} topic(s): ${missing.map((t) => t.name).join(', ')}`);
    }
    const meta = await admin.fetchTopicMetadata({ topics: topicSpecs(c).map((t) => t.name) });
    for (const t of meta.topics) {
      const want = topicSpecs(c).find((s) => s.name === t.name)?.partitions ?? 0;
      if (t.partitions.length < want)
        progress.warn(`topic ${t.name} has ${t.partitions.length} partitions (configured: ${want})`);
    }
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes every topic and consumer group of the namespace (tests). */
export async function deleteNamespaceTopics(c: Config): Promise<void> {
  const admin = createKafka(c, 'admin').admin();
  await admin.connect();
  try {
    const prefix = `${c.TDB_NAMESPACE}.`;
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
