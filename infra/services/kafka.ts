/**
 * Apache Kafka broker, KRaft mode (combined broker + controller, no ZooKeeper), run from the
 * Maven Central jars cached under TDB_CACHE_DIR. Listens on 127.0.0.1:KAFKA_PORT (PLAINTEXT) and
 * 127.0.0.1:KAFKA_CONTROLLER_PORT (controller quorum).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { kafkaReady } from '../kafka/admin';
import {
  adoptRunning,
  portReleased,
  runningPid,
  ServiceError,
  startDaemon,
  stopDaemon,
  waitUntil,
} from './daemon';
import { tcpOpen } from './probes';
import type { Progress } from './progress';

const NAME = 'kafka';

export const kafkaDirs = (c: Config) => ({
  libs: path.join(c.TDB_CACHE_DIR, `kafka-${c.KAFKA_VERSION}`, 'libs'),
  data: path.join(c.TDB_DATA_DIR, 'kafka'),
  run: path.join(c.TDB_DATA_DIR, 'run'),
});

/** The broker's Java classpath (jar glob), downloading it once from Maven Central if needed. */
export function ensureKafkaJars(c: Config, progress: Progress): string {
  const { libs } = kafkaDirs(c);
  const marker = path.join(libs, '.complete');
  if (!fs.existsSync(marker)) {
    progress.step(`downloading Apache Kafka ${c.KAFKA_VERSION} from Maven Central (once)`);
    requireCommand('mvn', 'apt-get install -y maven');
    requireCommand('java', 'apt-get install -y openjdk-17-jre-headless');
    fs.mkdirSync(libs, { recursive: true });
    try {
      execFileSync(
        'mvn',
        [
          '-q',
          '-B',
          '-Dstyle.color=never',
          '-f',
          path.join(c.repoRoot, 'infra/kafka/pom.xml'),
          `-Dkafka.version=${c.KAFKA_VERSION}`,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${libs}`,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
    } catch {
      throw new ServiceError(
        `kafka: Maven could not fetch org.apache.kafka:kafka_2.13:${c.KAFKA_VERSION} (see the lines above)`,
      );
    }
    fs.writeFileSync(marker, new Date().toISOString());
  }
  return `${libs}/*`;
}

function serverProperties(c: Config, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${c.KAFKA_CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://127.0.0.1:${c.KAFKA_PORT},CONTROLLER://127.0.0.1:${c.KAFKA_CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${c.KAFKA_PORT}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(dataDir, 'log')}`,
    // A single broker: internal topics must have replication factor 1, or __consumer_offsets is never created.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are created explicitly by the platform (partitions, compaction), never by a typo.
    'auto.create.topics.enable=false',
    'num.partitions=6',
    'log.retention.hours=720',
    'log.cleaner.enable=true',
    'log.flush.interval.messages=100000',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

export async function startKafka(c: Config, progress: Progress): Promise<void> {
  const dirs = kafkaDirs(c);
  if (await adoptRunning(dirs.run, NAME, () => waitKafka(c))) {
    progress.ok(`kafka already running on 127.0.0.1:${c.KAFKA_PORT}`);
    return;
  }
  if (!(await portReleased(() => tcpOpen(c.KAFKA_PORT)))) {
    throw new ServiceError(`kafka: port ${c.KAFKA_PORT} is taken by another process (set KAFKA_PORT)`);
  }
  const classpath = ensureKafkaJars(c, progress);
  fs.mkdirSync(dirs.data, { recursive: true });
  const props = path.join(dirs.data, 'server.properties');
  fs.writeFileSync(props, serverProperties(c, dirs.data));
  const java = [
    '-cp',
    classpath,
    `-Dlog4j2.configurationFile=${path.join(c.repoRoot, 'infra/kafka/log4j2.properties')}`,
  ];
  if (!fs.existsSync(path.join(dirs.data, 'log', 'meta.properties'))) {
    progress.step('formatting the Kafka log directory (KRaft, once)');
    const clusterId = execFileSync('java', [...java, 'kafka.tools.StorageTool', 'random-uuid'])
      .toString()
      .trim();
    execFileSync(
      'java',
      [...java, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', props],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  progress.step(`starting kafka on 127.0.0.1:${c.KAFKA_PORT}`);
  startDaemon({
    name: NAME,
    command: 'java',
    args: [
      `-Xms256m`,
      `-Xmx${c.KAFKA_HEAP}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      ...java,
      'kafka.Kafka',
      props,
    ],
    runDir: dirs.run,
  });
  await waitKafka(c);
  progress.ok(`kafka ready on 127.0.0.1:${c.KAFKA_PORT}`);
}

/** Ready = the PLAINTEXT listener accepts connections and answers a metadata request. */
async function waitKafka(c: Config): Promise<void> {
  const { run } = kafkaDirs(c);
  await waitUntil('kafka', () => tcpOpen(c.KAFKA_PORT), {
    timeoutMs: 90_000,
    daemon: { runDir: run, name: NAME },
  });
  await waitUntil('kafka (metadata)', () => kafkaReady(c), {
    timeoutMs: 60_000,
    daemon: { runDir: run, name: NAME },
  });
}

export async function stopKafka(c: Config): Promise<boolean> {
  return stopDaemon(kafkaDirs(c).run, NAME, 60_000);
}

export function kafkaStatus(c: Config): number | undefined {
  return runningPid(kafkaDirs(c).run, NAME);
}

export function requireCommand(command: string, install: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new ServiceError(`${command} is not installed: run \`${install}\` (as root)`);
  }
}
