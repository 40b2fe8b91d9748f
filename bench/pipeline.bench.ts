/**
 * Benchmark of the stream processor (not a test): `npm run bench:pipeline`.
 *
 * In a fresh namespace, pre-produces BENCH_EVENTS change events (the kill test's stream: creations,
 * updates, NOT_TRANSMITTED, deletions), then measures in one run, side by side, BENCH_ROUNDS times:
 *  - the broker's own ConsumerPerformance tool consuming the change topic (fetch.nMsg.sec);
 *  - a bare kafkajs consumer (eachBatch, no decoding) consuming the same topic;
 *  - the processor (`tdb processor run`, a child process) from the change topic to queryable facts
 *    (Avro decode, Redis state, status engine, ClickHouse inserts, offsets committed after the
 *    facts): records/s between its first and last offset commit (group join excluded), with the
 *    state and facts wiped and the group's offsets reset before each round;
 * then the freshness at a steady BENCH_FRESH_RATE records/s (default 2,000) for BENCH_FRESH_SECONDS:
 * p50/p99 seconds from the push (send to Kafka) to the record's delta rows being visible to an
 * indicator query in ClickHouse; and the processor's peak RSS (sampled from /proc).
 * Prints medians and ratios. Targets (issue 5): ≥ 20,000 records/s; freshness p99 < 2 s; RSS < 512 MB.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../infra/config';
import { ACKS_ALL, createConsumer, createIdempotentProducer } from '../infra/kafka/client';
import { startServices } from '../infra/services/cli';
import { kafkaDirs } from '../infra/services/kafka';
import { consoleProgress } from '../infra/services/progress';
import { dayFromIso } from '../streams/status/calendar';
import { createTestPlatform, referentials, type TestPlatform } from '../test/support/platform';
import { changeEvent, imageDeps, normalisedImage, produceChanges } from '../test/streams/support/changes';
import { changeStream } from '../test/streams/support/stream';
import { generateDossiers } from '../connectors/simulation/dossiers';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FRESH_RATE = Number(process.env.BENCH_FRESH_RATE ?? 2_000);
const FRESH_SECONDS = Number(process.env.BENCH_FRESH_SECONDS ?? 20);
const TODAY = '2025-01-15';
const REPO = path.resolve(__dirname, '..');
const TARGET_RATE = 20_000;
const TARGET_P99 = 2;
const TARGET_RSS_MB = 512;

const progress = consoleProgress();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The broker's ConsumerPerformance over the whole topic; returns fetch.nMsg.sec (excludes the group join). */
function consumerPerformance(bootstrap: string, topic: string, messages: number, group: string): number {
  const java = spawnSync(
    'java',
    [
      '-Xmx512m',
      '-cp',
      // The broker's own jars, where `tdb services start` put them (TDB_CACHE_DIR, KAFKA_VERSION).
      path.join(kafkaDirs(loadConfig()).libs, '*'),
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--messages',
      String(messages),
      '--group',
      group,
      '--timeout',
      '60000',
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        KAFKA_LOG4J_OPTS: `-Dlog4j2.configurationFile=${path.join(REPO, 'infra', 'kafka', 'log4j2.properties')}`,
      },
    },
  );
  const lines = java.stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('nMsg.sec'));
  if (header < 0 || !lines[header + 1])
    throw new Error(`ConsumerPerformance: unexpected output\n${java.stdout}\n${java.stderr}`);
  const cols = lines[header]!.split(',').map((s) => s.trim());
  const vals = lines[header + 1]!.split(',').map((s) => s.trim());
  const consumed = Number(vals[cols.indexOf('data.consumed.in.nMsg')]);
  if (consumed < messages) throw new Error(`ConsumerPerformance consumed ${consumed} of ${messages}`);
  return Number(vals[cols.indexOf('fetch.nMsg.sec')]);
}

/** A bare kafkajs consumer (eachBatch, counts only): messages/s from the first batch to the last. */
async function bareKafkajs(p: TestPlatform, topic: string, messages: number, group: string): Promise<number> {
  const consumer = createConsumer(p.ctx.kafka, {
    groupId: group,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 100,
  });
  let n = 0;
  let t0 = 0;
  let t1 = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (t0 === 0) t0 = performance.now();
      n += batch.messages.length;
      if (n >= messages) {
        t1 = performance.now();
        done();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  return (messages * 1000) / (t1 - t0);
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Child {
  child: ChildProcess;
  /** Set when the child exited (a processor that stops by itself fails the benchmark). */
  exitCode: () => number | null | undefined;
  peakRss: () => number;
  stop(): Promise<void>;
}

function spawnProcessorChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'tdb.js'), 'processor', 'run'], {
    cwd: REPO,
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: process.env.BENCH_CHILD_LOG ?? 'warn',
      // As the platform's launcher runs it (infra/services/app.ts).
      NODE_OPTIONS: process.env.BENCH_CHILD_NODE_OPTIONS ?? '--max-old-space-size=256',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 200);
  let code: number | null | undefined;
  const exited = new Promise<void>((r) =>
    child.on('exit', (c) => {
      code = c;
      r();
    }),
  );
  return {
    child,
    exitCode: () => code,
    peakRss: () => peak,
    async stop() {
      clearInterval(sampler);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function committed(p: TestPlatform, group: string, topic: string): Promise<number> {
  const admin = p.ctx.kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (t?.partitions ?? []).reduce((n, x) => n + Math.max(0, Number(x.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Wipes the processor's state and facts and rewinds its group: every round starts from nothing. */
async function resetProcessor(p: TestPlatform, group: string): Promise<void> {
  const { ctx } = p;
  const ns = ctx.config.TDB_NAMESPACE;
  for (const prefix of ['state', 'schedule', 'pending']) {
    let cursor = '0';
    do {
      const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${ns}:${prefix}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length) await ctx.redis.unlink(...keys);
    } while (cursor !== '0');
  }
  for (const t of ['dossiers', 'statut_intervalles', 'effectifs_deltas', 'transitions'])
    await ctx.clickhouse.command(`TRUNCATE TABLE ${ctx.clickhouse.database}.${t}`);
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    if (groups.includes(group)) await admin.deleteGroups([group]);
  } finally {
    await admin.disconnect();
  }
}

/** Processor records/s between its first and last offset commit (the join and start-up excluded). */
async function processorRound(
  p: TestPlatform,
  env: Record<string, string>,
  total: number,
  processes = 1,
): Promise<{ rate: number; rss: number }> {
  const group = `${p.config.TDB_NAMESPACE}.processor`;
  await resetProcessor(p, group);
  // Several processes share the partitions of the change topic (one consumer group).
  const children = Array.from({ length: processes }, () => spawnProcessorChild(env));
  const child = {
    exitCode: () => children.map((c) => c.exitCode()).find((c) => c !== undefined),
    peakRss: () => Math.max(...children.map((c) => c.peakRss())),
    stop: () => Promise.all(children.map((c) => c.stop())),
  };
  let first: { t: number; n: number } | undefined;
  let last = { t: 0, n: 0 };
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const n = await committed(p, group, p.ctx.topics.changes);
    const t = performance.now();
    if (!first && n > 0) first = { t, n };
    last = { t, n };
    if (n >= total || Date.now() > deadline) break;
    if (child.exitCode() !== undefined) throw new Error(`the processor exited with code ${child.exitCode()}`);
    await sleep(50);
  }
  await child.stop();
  if (!first || last.n < total) throw new Error(`processor round did not finish (${last.n}/${total})`);
  return { rate: ((last.n - first.n) * 1000) / (last.t - first.t), rss: child.peakRss() };
}

/** Freshness: push fresh records at a steady rate; seconds until each one's deltas are queryable. */
async function freshness(
  p: TestPlatform,
  env: Record<string, string>,
): Promise<{ p50: number; p99: number; count: number; rss: number }> {
  const { ctx } = p;
  const group = `${p.config.TDB_NAMESPACE}.processor`;
  const child = spawnProcessorChild(env);
  const codec = await ctx.codec();
  const producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  // Wait until the processor has joined its group and caught up with what is there.
  const admin = ctx.kafka.admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(ctx.topics.changes)).reduce((n, o) => n + Number(o.high), 0);
  for (;;) {
    const { groups } = await admin.describeGroups([group]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) break;
    if (child.exitCode() !== undefined) throw new Error(`the processor exited with code ${child.exitCode()}`);
    await sleep(100);
  }
  await admin.disconnect();
  while ((await committed(p, group, ctx.topics.changes)) < end) await sleep(100);

  const total = FRESH_RATE * FRESH_SECONDS;
  const source = generateDossiers({
    count: total,
    organismes: ctx.organismes,
    territoires: ctx.territoires,
    today: dayFromIso(TODAY),
    seed: 99,
  });
  // Through the connectors' normaliser; a record it rejects would never reach the processor.
  const deps = imageDeps(ctx);
  const images = [...source].flatMap((v, i) => {
    const r = normalisedImage({ ...v, id_erp_apprenant: `fresh-${i}` }, deps);
    return r.ok ? [r.image] : [];
  });
  const encoded = await Promise.all(
    images.map(async (im) => {
      const e = changeEvent('CREATE', 1, im);
      return { key: e.record_key, value: await codec.encode('changes', e) };
    }),
  );
  const pushed = new Map<string, number>();
  const seen = new Map<string, number>();
  // A batch's delta insert commits one part per year partition, so a batch may be visible in part
  // for a moment: its records are looked up again until the batch has been visible for 2 s.
  const firstSeen = new Map<string, number>();
  let polling = true;
  let lastPush: number | undefined;
  const db = ctx.clickhouse.database;
  // Batches already there (the throughput rounds) are not looked at.
  for (const r of await ctx.clickhouse.query<{ b: string }>(
    `SELECT DISTINCT batch_id AS b FROM ${db}.effectifs_deltas`,
  ))
    firstSeen.set(r.b, -Infinity);
  const poller = (async () => {
    while (polling || seen.size < pushed.size) {
      const now = performance.now();
      for (const r of await ctx.clickhouse.query<{ b: string }>(
        `SELECT DISTINCT batch_id AS b FROM ${db}.effectifs_deltas`,
      ))
        if (!firstSeen.has(r.b)) firstSeen.set(r.b, now);
      const recent = [...firstSeen].filter(([, t]) => now - t < 2_000).map(([b]) => b);
      if (recent.length > 0) {
        const rows = await ctx.clickhouse.query<{ k: string }>(
          `SELECT DISTINCT record_key AS k FROM ${db}.effectifs_deltas WHERE batch_id IN (${recent.map((b) => `'${b}'`).join(',')})`,
        );
        for (const r of rows) if (pushed.has(r.k) && !seen.has(r.k)) seen.set(r.k, now);
      }
      if (!polling && performance.now() - (lastPush ?? 0) > 30_000) break;
      await sleep(100);
    }
  })();
  const failed: string[] = [];
  const tick = 50; // ms
  const perTick = Math.max(1, Math.round((FRESH_RATE * tick) / 1000));
  const t0 = performance.now();
  for (let i = 0, k = 0; i < encoded.length; i += perTick, k++) {
    const wait = t0 + k * tick - performance.now();
    if (wait > 0) await sleep(wait);
    const part = encoded.slice(i, i + perTick);
    const at = performance.now();
    for (const m of part) pushed.set(m.key.toString(), at);
    lastPush = at;
    // One send at a time (concurrent sends of kafkajs's idempotent producer can be dropped as duplicates).
    try {
      await producer.send({ topic: ctx.topics.changes, acks: ACKS_ALL, messages: part });
    } catch (err) {
      failed.push((err as Error).message);
      for (const m of part) pushed.delete(m.key.toString());
    }
  }
  if (failed.length > 0) process.stderr.write(`freshness: ${failed.length} sends failed (${failed[0]})\n`);
  polling = false;
  await poller;
  await producer.disconnect();
  await child.stop();
  const lat = [...pushed].filter(([k]) => seen.has(k)).map(([k, t]) => (seen.get(k)! - t) / 1000);
  if (process.env.BENCH_DEBUG) {
    const sorted = [...lat].sort((a, b) => a - b);
    process.stderr.write(
      `debug: max latency ${sorted.at(-1)?.toFixed(2)} s, over 5 s: ${sorted.filter((x) => x > 5).length}\n`,
    );
    const missing = [...pushed.keys()].filter((k) => !seen.has(k));
    const [c] = await ctx.clickhouse.query(
      `SELECT count(DISTINCT record_key) AS n FROM ${db}.effectifs_deltas WHERE record_key LIKE '%:fresh-%'`,
    );
    process.stderr.write(
      `debug: ${JSON.stringify(c)} distinct fresh keys in CH; pushed ${pushed.size}; missing e.g. ${missing.slice(0, 3).join(' ')}\n`,
    );
    if (missing[0])
      process.stderr.write(
        JSON.stringify(
          await ctx.clickhouse.query(
            `SELECT batch_id, count() FROM ${db}.effectifs_deltas WHERE record_key = '${missing[0]}' GROUP BY batch_id`,
          ),
        ) + '\n',
      );
  }
  if (lat.length < pushed.size)
    process.stderr.write(`freshness: ${pushed.size - lat.length} records never became visible\n`);
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), count: lat.length, rss: child.peakRss() };
}

async function main(): Promise<void> {
  await startServices(loadConfig(), progress);
  const env = {
    TDB_CLOCK: TODAY,
    ...referentials(),
    TDB_PROCESSOR_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
  };
  const p = await createTestPlatform(env);
  const childEnv = { ...env, TDB_NAMESPACE: p.config.TDB_NAMESPACE };
  try {
    progress.step(`generating and producing ${fmt(EVENTS)} change events`);
    const events = changeStream({
      records: Math.round(EVENTS * 0.6),
      events: EVENTS,
      today: dayFromIso(TODAY),
      organismes: p.ctx.organismes,
      territoires: p.ctx.territoires,
      dataKey: p.ctx.secrets.dataKey,
    });
    const chunk: ReturnType<typeof events.next>['value'][] = [];
    let produced = 0;
    for (const e of events) {
      chunk.push(e);
      if (chunk.length === 10_000) {
        await produceChanges(p.ctx, chunk.splice(0));
        produced += 10_000;
        progress.count('produced', produced, EVENTS);
      }
    }
    if (chunk.length) await produceChanges(p.ctx, chunk.splice(0));
    const topic = p.ctx.topics.changes;
    const logDir = path.join(p.config.TDB_DATA_DIR, 'kafka', 'log');
    const bytes = fs
      .readdirSync(logDir)
      .filter((d) => d.startsWith(`${topic}-`))
      .flatMap((d) =>
        fs
          .readdirSync(path.join(logDir, d))
          .filter((f) => f.endsWith('.log'))
          .map((f) => fs.statSync(path.join(logDir, d, f)).size),
      )
      .reduce((a, b) => a + b, 0);

    const cp: number[] = [];
    const bare: number[] = [];
    const proc: number[] = [];
    const proc2: number[] = [];
    const rss: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      progress.step(`round ${r}/${ROUNDS}`);
      cp.push(
        consumerPerformance(
          p.config.kafkaBrokers.join(','),
          topic,
          EVENTS,
          `${p.config.TDB_NAMESPACE}.perf.${r}`,
        ),
      );
      bare.push(await bareKafkajs(p, topic, EVENTS, `${p.config.TDB_NAMESPACE}.bare.${r}`));
      const pr = await processorRound(p, childEnv, EVENTS);
      proc.push(pr.rate);
      rss.push(pr.rss);
      const pr2 = await processorRound(p, childEnv, EVENTS, 2);
      proc2.push(pr2.rate);
      rss.push(pr2.rss);
      progress.ok(
        `ConsumerPerformance ${fmt(cp.at(-1)!)}/s, bare kafkajs ${fmt(bare.at(-1)!)}/s, processor ${fmt(pr.rate)}/s, 2 processors ${fmt(pr2.rate)}/s (peak RSS ${Math.max(pr.rss, pr2.rss).toFixed(0)} MB per process)`,
      );
    }
    progress.step(`freshness at ${fmt(FRESH_RATE)} records/s for ${FRESH_SECONDS} s`);
    const f = await freshness(p, childEnv);

    const mCp = median(cp);
    const mBare = median(bare);
    const mProc = median(proc);
    const mProc2 = median(proc2);
    const best = Math.max(mProc, mProc2);
    const peak = Math.max(...rss, f.rss);
    const out = [
      '',
      `Pipeline benchmark: ${fmt(EVENTS)} change events (${(bytes / EVENTS).toFixed(0)} bytes/event on disk), ${ROUNDS} rounds, medians; ${os.cpus().length} cores`,
      '',
      '| consumer of the change topic                          | records/s | vs ConsumerPerformance | vs bare kafkajs |',
      '|-------------------------------------------------------|----------:|-----------------------:|----------------:|',
      `| ConsumerPerformance (broker's tool, fetch.nMsg.sec)   | ${fmt(mCp).padStart(9)} | 1.00 | ${(mCp / mBare).toFixed(2)} |`,
      `| bare kafkajs consumer (eachBatch, no decoding)        | ${fmt(mBare).padStart(9)} | ${(mBare / mCp).toFixed(2)} | 1.00 |`,
      `| processor, to queryable facts (Redis + ClickHouse)    | ${fmt(mProc).padStart(9)} | ${(mProc / mCp).toFixed(3)} | ${(mProc / mBare).toFixed(3)} |`,
      `| 2 processor processes, one consumer group             | ${fmt(mProc2).padStart(9)} | ${(mProc2 / mCp).toFixed(3)} | ${(mProc2 / mBare).toFixed(3)} |`,
      '',
      `rounds: ConsumerPerformance ${cp.map(fmt).join(', ')}; kafkajs ${bare.map(fmt).join(', ')}; processor ${proc.map(fmt).join(', ')}; 2 processors ${proc2.map(fmt).join(', ')}`,
      `freshness at ${fmt(FRESH_RATE)} records/s over ${FRESH_SECONDS} s (${fmt(f.count)} records): p50 ${f.p50.toFixed(2)} s, p99 ${f.p99.toFixed(2)} s`,
      `processor peak RSS (per process): ${peak.toFixed(0)} MB (throughput rounds ${rss.map((x) => x.toFixed(0)).join(', ')} MB; freshness ${f.rss.toFixed(0)} MB)`,
      '',
      `targets: processor ≥ ${fmt(TARGET_RATE)}/s: ${best >= TARGET_RATE ? 'met' : 'NOT met'}; freshness p99 < ${TARGET_P99} s: ${f.p99 < TARGET_P99 ? 'met' : 'NOT met'}; RSS < ${TARGET_RSS_MB} MB: ${peak < TARGET_RSS_MB ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    const admin = p.ctx.kafka.admin();
    await admin.connect();
    const ns = `${p.config.TDB_NAMESPACE}.`;
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(ns));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    await p.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench:pipeline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
