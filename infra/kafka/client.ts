/**
 * The one place that owns the Kafka client (kafkajs): connection settings, logging, producer
 * defaults. Other modules get producers/consumers from here and never import kafkajs themselves,
 * so that swapping the client touches this folder only.
 */
import {
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
  type Consumer,
  type ConsumerConfig,
  type LogEntry,
  type PartitionMetadata,
} from 'kafkajs';
import type { Config } from '../config';
import { logger } from '../log';

export type { Producer, Consumer, EachBatchPayload, Message, KafkaMessage, Admin } from 'kafkajs';

// The default partitioner is chosen explicitly (createIdempotentProducer); kafkajs' v2 notice is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Transient coordinator errors at start-up (a new broker loading its offsets) are noise, not failures. */
const RETRIED_NOISE =
  /coordinator is (loading|not available)|not the correct coordinator|leadership election|does not host this topic-partition/i;

function logCreator() {
  const log = logger('kafka');
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...rest } = entry;
    const error = String((rest as { error?: unknown }).error ?? '');
    const lvl = levels[level] ?? 'info';
    if (lvl === 'error' && RETRIED_NOISE.test(error)) return log.debug(rest, message);
    // Retries are bounded on purpose (a request must fail rather than hang when the broker is
    // down); duplicates of a retried batch are harmless downstream (idempotent by version).
    if (message.startsWith('Limiting retries for the idempotent producer')) return log.debug(rest, message);
    log[lvl](rest, message);
  };
}

/** A Kafka client; `silent` for probes that expect connection errors (readiness checks). */
export function createKafka(c: Config, clientId: string, opts: { silent?: boolean } = {}): Kafka {
  return new Kafka({
    clientId: `${c.TDB_NAMESPACE}-${clientId}`,
    brokers: c.kafkaBrokers,
    logLevel: opts.silent ? logLevel.NOTHING : logLevel.WARN,
    logCreator,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
  });
}

/**
 * Idempotent producer: acks from all in-sync replicas, broker-side de-duplication of retries
 * (one in-flight request per broker keeps the order of retried batches).
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

export function createConsumer(kafka: Kafka, cfg: ConsumerConfig): Consumer {
  return kafka.consumer({ allowAutoTopicCreation: false, ...cfg });
}

export const ACKS_ALL = -1;

const keyed = Partitioners.DefaultPartitioner();
const metadataOf = new Map<number, PartitionMetadata[]>();

/**
 * The partition that the producers of `createIdempotentProducer` choose for a keyed message in a
 * topic of `partitions` partitions (murmur2 of the key, as the Java client): lets a caller size its
 * requests per partition before sending.
 */
export function keyPartition(key: string | Buffer, partitions: number): number {
  let metadata = metadataOf.get(partitions);
  if (!metadata) {
    metadata = Array.from({ length: partitions }, (_, i) => ({
      partitionErrorCode: 0,
      partitionId: i,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    metadataOf.set(partitions, metadata);
  }
  return keyed({ topic: '', partitionMetadata: metadata, message: { key, value: null } });
}

/** Number of partitions of each topic (one metadata request); topics that do not exist are left out. */
export async function partitionCounts(kafka: Kafka, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
    return new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
  } finally {
    await admin.disconnect();
  }
}
