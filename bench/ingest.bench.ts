/**
 * Benchmark of the connectors' pipeline (not a test): `npm run bench:ingest`.
 *
 * On an isolated namespace of the real services (Kafka, Redis, schema registry), in one run:
 * - pipeline: records per second through validate + normalise + identify + change detection
 *   (Redis) + Avro + produce (idempotent producer, acks all) of new records (every one a CREATE:
 *   one message to `changes`, one to `latest`), in transmissions of 2,000 records;
 * - raw: the same number of messages, of the same sizes, produced with kafkajs alone (same
 *   idempotent producer, same batches): the physical ceiling on this machine;
 *   the ratio pipeline / raw;
 * - resend: a full resend of the same records, unchanged: seconds and number of events produced
 *   (must be 0, counted from the topics' offsets).
 * Machines are noisy: several rounds, medians printed.
 *
 * Targets (issue 4): ≥ 20,000 records/s end to end; 100,000 unchanged records resent in < 10 s
 * with zero events.
 * Environment: BENCH_RECORDS (default 100000), BENCH_ROUNDS (default 3), BENCH_CONCURRENCY (default 3),
 * TDB_ORGANISMES_CSV (the full referential, e.g. ../shared/data/organismes.csv; default: the extract of
 * test/fixtures/referentiels).
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { bootstrapNamespace } from '../infra/bootstrap';
import { loadConfig } from '../infra/config';
import { createContext, type Context } from '../infra/context';
import { deleteNamespaceTopics } from '../infra/kafka/admin';
import { ACKS_ALL, createIdempotentProducer, type Message } from '../infra/kafka/client';
import { topicSpecs } from '../infra/kafka/topics';
import { deleteNamespaceKeys } from '../infra/redis/client';
import { silentProgress } from '../infra/services/progress';
import { CHUNK_SIZE, createPipeline, type Pipeline } from '../connectors/core/pipeline';
import { defaultPoolSize } from '../connectors/core/worker-pool';
import { generateDossiers, type DossierV3 } from '../connectors/simulation/dossiers';
import { clearPhoneCache } from '../connectors/core/normalise/phone';
import { dayFromIso } from '../streams/status/calendar';
import { referentials } from '../test/support/platform';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_RATE = 20_000;
/** Transmissions in flight at once (BENCH_CONCURRENCY). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 3);
const TARGET_RESEND_S = 10;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (s: string) => process.stderr.write(`${s}\n`);

async function topicSize(ctx: Context, topic: string): Promise<number> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Ingests `dossiers` as transmissions of CHUNK_SIZE records (the push API's maximum), CONCURRENCY
 * of them in flight at once (several ERPs calling at the same time).
 */
async function ingestAll(pipeline: Pipeline, dossiers: readonly DossierV3[]): Promise<number> {
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < dossiers.length; i += CHUNK_SIZE) {
    const items = dossiers
      .slice(i, i + CHUNK_SIZE)
      .map((input, k) => ({ input, location: `élément ${i + k}` }));
    const p: Promise<void> = pipeline.ingest({ connector: 'bench', items }).then((r) => {
      inFlight.delete(p);
      const bad = r.items.find((o) => o.status === 'rejete');
      if (bad) throw new Error(`rejected: ${JSON.stringify(bad)}`);
    });
    inFlight.add(p);
    if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const ns = `bench_${randomBytes(3).toString('hex')}`;
  const organismesCsv = referentials().TDB_ORGANISMES_CSV;
  const config = loadConfig({
    ...process.env,
    TDB_NAMESPACE: ns,
    LOG_LEVEL: 'error',
    TDB_ORGANISMES_CSV: organismesCsv,
  });
  log(`namespace ${ns}: bootstrapping…`);
  await bootstrapNamespace(config, silentProgress);
  const ctx = createContext(config, 'bench');
  try {
    const dossiers = [
      ...generateDossiers({
        count: RECORDS,
        organismes: ctx.organismes,
        territoires: ctx.territoires,
        today: dayFromIso('2025-03-01'),
        seed: 7,
      }),
    ];
    log(
      `${fmt(dossiers.length)} records generated (organisations: ${ctx.organismes.source}); ${ROUNDS} rounds`,
    );
    // Sizes of the messages the pipeline produces to `changes` (the raw run produces the same).
    const valueSizes: number[] = [];
    const pipeline = createPipeline(ctx, {
      onSend: (batches) => {
        if (valueSizes.length >= RECORDS) return;
        for (const b of batches)
          if (b.topic === ctx.topics.changes)
            for (const m of b.messages) valueSizes.push((m.value as Buffer).length);
      },
    });
    // Warm-up: JIT, schema registry, producer connection.
    await ingestAll(pipeline, dossiers.slice(0, 4000));
    await ctx.redis.del(ctx.keys.fingerprints);
    valueSizes.length = 0;

    const pipelineRates: number[] = [];
    const rawRates: number[] = [];
    const resendSeconds: number[] = [];
    const resendEvents: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await ctx.redis.del(ctx.keys.fingerprints);
      clearPhoneCache(); // a first ingestion has never seen these numbers
      const before = await topicSize(ctx, ctx.topics.changes);
      const s = await ingestAll(pipeline, dossiers);
      const produced = (await topicSize(ctx, ctx.topics.changes)) - before;
      if (produced !== dossiers.length)
        throw new Error(`expected ${dossiers.length} CREATE events, got ${produced}`);
      pipelineRates.push(dossiers.length / s);

      // Unchanged full resend.
      const b2 = (await topicSize(ctx, ctx.topics.changes)) + (await topicSize(ctx, ctx.topics.latest));
      const s2 = await ingestAll(pipeline, dossiers);
      const events =
        (await topicSize(ctx, ctx.topics.changes)) + (await topicSize(ctx, ctx.topics.latest)) - b2;
      resendSeconds.push(s2);
      resendEvents.push(events);

      // Raw kafkajs: same number of messages, same sizes, same batching, same producer settings.
      const producer = createIdempotentProducer(ctx.kafka);
      await producer.connect();
      const payloads = valueSizes.map((n) => randomBytes(n));
      const t0 = performance.now();
      for (let i = 0; i < dossiers.length; i += CHUNK_SIZE) {
        const changes: Message[] = [];
        const latest: Message[] = [];
        for (let k = i; k < Math.min(dossiers.length, i + CHUNK_SIZE); k++) {
          const value = payloads[k % payloads.length]!;
          const key = `0751234J:2024-2025:raw-${k}`;
          changes.push({ key, value });
          latest.push({ key, value });
        }
        await producer.sendBatch({
          acks: ACKS_ALL,
          topicMessages: [
            { topic: ctx.topics.changes, messages: changes },
            { topic: ctx.topics.latest, messages: latest },
          ],
        });
      }
      rawRates.push(dossiers.length / ((performance.now() - t0) / 1000));
      await producer.disconnect();
      log(
        `round ${round}: pipeline ${fmt(pipelineRates.at(-1)!)} records/s, raw ${fmt(rawRates.at(-1)!)} records/s (2 messages each), unchanged resend ${resendSeconds.at(-1)!.toFixed(2)} s, ${resendEvents.at(-1)} events`,
      );
    }
    await pipeline.close();

    const p = median(pipelineRates);
    const r = median(rawRates);
    const rs = median(resendSeconds);
    const avgSize = valueSizes.reduce((a, b) => a + b, 0) / valueSizes.length;
    const lines = [
      `records: ${fmt(dossiers.length)}, rounds: ${ROUNDS}, value size ≈ ${fmt(avgSize)} bytes, 2 messages per record (changes + latest), worker threads: ${ctx.config.TDB_INGEST_WORKERS ?? defaultPoolSize(os.availableParallelism())}, transmissions of ${fmt(CHUNK_SIZE)} in flight: ${CONCURRENCY}`,
      `pipeline (validate + normalise + CDC + Avro + produce): ${fmt(p)} records/s (median; target ≥ ${fmt(TARGET_RATE)}) ${p >= TARGET_RATE ? 'OK' : 'BELOW TARGET'}`,
      `raw kafkajs, same messages:                         ${fmt(r)} records/s (median)`,
      `ratio pipeline / raw:                               ${(p / r).toFixed(2)}`,
      `unchanged resend of ${fmt(dossiers.length)} records: ${rs.toFixed(2)} s (median; target < ${TARGET_RESEND_S} s for 100,000), events produced: ${Math.max(...resendEvents)} ${rs < TARGET_RESEND_S * (dossiers.length / 100_000) && Math.max(...resendEvents) === 0 ? 'OK' : 'BELOW TARGET'}`,
      `resend rate: ${fmt(dossiers.length / rs)} records/s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await deleteNamespaceKeys(ctx.redis, ns).catch(() => undefined);
    await deleteNamespaceTopics(config).catch(() => undefined);
    await Promise.all(
      topicSpecs(config).map((t) =>
        fetch(`${config.schemaRegistryUrl}/subjects/${encodeURIComponent(`${t.name}-value`)}`, {
          method: 'DELETE',
        }).catch(() => undefined),
      ),
    );
    await ctx.clickhouse.command(`DROP DATABASE IF EXISTS ${ns}`).catch(() => undefined);
    await ctx.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ingest: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
