/**
 * `tdb services start|stop|status|reset`: the platform's local services on 127.0.0.1.
 *
 * start  installs what is missing (ClickHouse from Debian, Kafka jars from Maven Central, …),
 *        starts Redis (unless one answers), ClickHouse, Kafka (KRaft) and the schema registry with
 *        readiness checks, then prepares the namespace (topics, schemas, migrations). Idempotent:
 *        what already runs is left alone; after a crash, starting again recovers the data.
 *        With --app, also the platform's own processes (stream processor, API).
 * stop   stops what the platform started (the app first, then the services).
 * status prints what runs, with pids and ports (exit 1 if something is down).
 * reset  stops everything and deletes the data dir (downloads in the cache dir are kept).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { bootstrapNamespace } from '../bootstrap';
import { createRedis, deleteNamespaceKeys } from '../redis/client';
import { config, type Config } from '../config';
import { startApp, stopApp, appStatus } from './app';
import { clickhouseStatus, startClickHouse, stopClickHouse } from './clickhouse';
import { kafkaStatus, startKafka, stopKafka } from './kafka';
import { consoleProgress, type Progress } from './progress';
import { redisPing } from './probes';
import { redisStatus, startRedis, stopRedis } from './redis';
import { registryStatus, startSchemaRegistry, stopSchemaRegistry } from './schema-registry';

export async function startServices(
  c: Config,
  progress: Progress,
  opts: { app?: boolean } = {},
): Promise<void> {
  const t0 = Date.now();
  // Sequential on purpose: the fast ones first (under a second each); the registry keeps its schemas in Kafka.
  await startRedis(c, progress);
  await startClickHouse(c, progress);
  await startKafka(c, progress);
  await startSchemaRegistry(c, progress);
  await bootstrapNamespace(c, progress);
  if (opts.app) await startApp(c, progress);
  progress.ok(`services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export async function stopServices(c: Config, progress: Progress): Promise<void> {
  await stopApp(c, progress);
  const stopped: string[] = [];
  if (await stopSchemaRegistry(c)) stopped.push('schema registry');
  const [k, ch, r] = await Promise.all([stopKafka(c), stopClickHouse(c), stopRedis(c)]);
  if (k) stopped.push('kafka');
  if (ch) stopped.push('clickhouse');
  if (r) stopped.push('redis');
  progress.ok(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
}

async function status(c: Config): Promise<boolean> {
  const rows: [string, string, string][] = [
    ['kafka', `127.0.0.1:${c.KAFKA_PORT}`, pidText(kafkaStatus(c))],
    ['schema registry', c.schemaRegistryUrl, pidText(registryStatus(c))],
    ['clickhouse', c.clickhouseUrl, pidText(clickhouseStatus(c))],
    [
      'redis',
      c.redisUrl,
      redisStatus(c) !== undefined
        ? pidText(redisStatus(c))
        : (await redisPing(c.REDIS_PORT))
          ? 'running (not ours)'
          : 'stopped',
    ],
  ];
  // The platform's own processes are optional (`start --app`), but one that was started and died is down.
  const apps: [string, string, string][] = appStatus(c).map(([name, where, pid, died]) => [
    name,
    where,
    died ? 'DIED (see its log)' : pidText(pid),
  ]);
  for (const [name, where, state] of [...rows, ...apps])
    process.stdout.write(`${name.padEnd(16)} ${state.padEnd(22)} ${where}\n`);
  return rows.every(([, , s]) => s !== 'stopped') && apps.every(([, , s]) => !s.startsWith('DIED'));
}

const pidText = (pid: number | undefined) => (pid === undefined ? 'stopped' : `running (pid ${pid})`);

export function registerServicesCommand(program: Command): void {
  const services = program
    .command('services')
    .description('start, stop, inspect or wipe the local services (Kafka, registry, ClickHouse, Redis)');
  services
    .command('start')
    .description(
      'install what is missing, start every service, create topics, register schemas, migrate ClickHouse',
    )
    .option('--app', 'also start the stream processor and the API')
    .action(async (opts: { app?: boolean }) => startServices(config(), consoleProgress(), opts));
  services
    .command('stop')
    .description('stop what the platform started')
    .action(async () => stopServices(config(), consoleProgress()));
  services
    .command('status')
    .description('what runs, with pids and addresses (exit code 1 if a service is down)')
    .action(async () => {
      if (!(await status(config()))) process.exitCode = 1;
    });
  services
    .command('reset')
    .description(
      "stop everything, delete the data dir (TDB_DATA_DIR) and the namespace's keys in a Redis the platform did not start; downloads are kept",
    )
    .action(async () => {
      const c = config();
      const progress = consoleProgress();
      // A Redis the platform did not start keeps running: wipe the namespace's keys in it, or the
      // state (CDC fingerprints, learners) would outlive the facts it describes.
      if (!c.REDIS_URL && redisStatus(c) === undefined && (await redisPing(c.REDIS_PORT))) {
        const redis = createRedis(c);
        const n = await deleteNamespaceKeys(redis, c.TDB_NAMESPACE);
        await redis.quit();
        progress.ok(
          `deleted ${n} Redis key(s) of namespace ${c.TDB_NAMESPACE} (Redis not started by the platform)`,
        );
      }
      await stopServices(c, progress);
      fs.rmSync(c.TDB_DATA_DIR, { recursive: true, force: true });
      progress.ok(`deleted ${c.TDB_DATA_DIR}`);
    });
}
