/**
 * `tdb replay`: rebuilds the processor's state and facts of the namespace from the compacted
 * `latest` topic (the latest image of every record), e.g. after a rule change.
 *
 * Strategy (README.md, "Replay"): refuse while the processor's consumer group has members; wipe
 * the Redis state (`state:*`, `schedule:*`, `pending:*`) and the rebuilt tables (dossiers,
 * statut_intervalles, effectifs_deltas; the transition log and the transmission log are history
 * and are kept); read `latest` from the beginning to the end offsets taken at the start with a
 * throw-away consumer group, through the same batch pipeline as the processor but announcing
 * nothing (status changes and alerts already due are recorded as announced, so the processor
 * does not send them again). The processor then resumes from its committed offsets: the events
 * it finds there are at most as new as `latest`, so they are skipped by version.
 */
import type { Context } from '../../infra/context';
import { createConsumer } from '../../infra/kafka/client';
import { logger } from '../../infra/log';
import type { Progress } from '../../infra/services/progress';
import { processChangeBatch, type PipelineDeps } from './batch';
import { alertSettings, envFactory } from './run';
import { createFactSink } from './sink';
import { PermanentError } from '../../infra/errors';

export class ReplayError extends PermanentError {
  override name = 'ReplayError';
}

const REBUILT_TABLES = ['dossiers', 'statut_intervalles', 'effectifs_deltas'] as const;

/** Empties one of the rebuilt tables. */
export function truncateSql(database: string, table: (typeof REBUILT_TABLES)[number]): string {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(database)) throw new Error(`not a database name: ${database}`);
  if (!REBUILT_TABLES.includes(table)) throw new Error(`not a rebuilt table: ${String(table)}`);
  return `TRUNCATE TABLE ${database}.${table}`;
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = { truncateSql };

async function deleteKeys(ctx: Context, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, found] = await ctx.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) n += await ctx.redis.unlink(...found);
  } while (cursor !== '0');
  return n;
}

export interface ReplayResult {
  records: number;
  seconds: number;
}

export async function replay(ctx: Context, progress: Progress): Promise<ReplayResult> {
  const started = Date.now();
  const ns = ctx.config.TDB_NAMESPACE;
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([`${ns}.processor`]);
    const members = groups[0]?.members.length ?? 0;
    if (members > 0)
      throw new ReplayError(
        `the processor is running (consumer group ${ns}.processor has ${members} member(s)): stop it before a replay`,
      );

    progress.step('wiping the processor state and the rebuilt facts');
    let wiped = 0;
    for (const p of ['state', 'schedule', 'pending']) wiped += await deleteKeys(ctx, `${ns}:${p}:*`);
    for (const t of REBUILT_TABLES) await ctx.clickhouse.command(truncateSql(ctx.clickhouse.database, t));
    progress.ok(`wiped ${wiped} Redis keys and ${REBUILT_TABLES.join(', ')}`);

    const topic = ctx.topics.latest;
    const offsets = await admin.fetchTopicOffsets(topic);
    const target = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const pending = new Set(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => o.partition));
    const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
    progress.step(`replaying ${topic} (up to ${total.toLocaleString('fr-FR')} records)`);
    if (pending.size === 0) return { records: 0, seconds: (Date.now() - started) / 1000 };

    const log = logger('replay');
    const sink = createFactSink(ctx.config);
    const deps: PipelineDeps = {
      ctx,
      codec: await ctx.codec(),
      publish: null,
      env: envFactory(ctx, alertSettings(ctx, log), false),
      log,
      sink,
    };
    const groupId = `${ns}.replay.${Date.now()}`;
    const consumer = createConsumer(ctx.kafka, {
      groupId,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: ctx.config.TDB_PROCESSOR_BATCH_BYTES,
      maxBytes: ctx.config.TDB_PROCESSOR_BATCH_BYTES * ctx.config.TDB_PROCESSOR_CONCURRENCY,
    });
    let records = 0;
    let failed: Error | undefined;
    const finished = new Promise<void>((resolve, reject) => {
      void (async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: ctx.config.TDB_PROCESSOR_CONCURRENCY,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            if (batch.messages.length === 0 || !pending.has(batch.partition)) return;
            try {
              await processChangeBatch(deps, topic, batch.partition, batch.messages);
            } catch (err) {
              failed = err as Error;
              reject(err);
              throw err;
            }
            resolveOffset(batch.lastOffset());
            records += batch.messages.length;
            progress.count('records', records, total);
            const next = BigInt(batch.lastOffset()) + 1n;
            if (next >= (target.get(batch.partition) ?? 0n) || next >= BigInt(batch.highWatermark))
              pending.delete(batch.partition);
            if (pending.size === 0) resolve();
            await heartbeat();
          },
        });
      })().catch(reject);
    });
    try {
      await finished;
    } finally {
      await consumer.disconnect();
      await sink.close();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    if (failed) throw failed;
    const seconds = (Date.now() - started) / 1000;
    progress.ok(`replayed ${records.toLocaleString('fr-FR')} records in ${seconds.toFixed(1)} s`);
    return { records, seconds };
  } finally {
    await admin.disconnect();
  }
}
