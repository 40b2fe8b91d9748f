/**
 * The service launchers on a second, private set of services (own ports and data dir, shared
 * download cache): starting twice is a no-op, a broker killed with SIGKILL is restarted by the next
 * start with its data, ClickHouse keeps its data across stop/start.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../infra/config';
import { createClickHouse } from '../../infra/clickhouse/client';
import { createKafka } from '../../infra/kafka/client';
import { clickhouseStatus, startClickHouse, stopClickHouse } from '../../infra/services/clickhouse';
import { kafkaStatus, startKafka, stopKafka } from '../../infra/services/kafka';
import { silentProgress } from '../../infra/services/progress';

jest.setTimeout(180_000);

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let c: Config;
beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-services-'));
  const [kafka, controller, http, tcp] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  c = loadConfig({
    ...process.env,
    TDB_DATA_DIR: dir,
    KAFKA_PORT: String(kafka),
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_HEAP: '256m',
    CLICKHOUSE_HTTP_PORT: String(http),
    CLICKHOUSE_TCP_PORT: String(tcp),
  });
});

afterAll(async () => {
  await stopKafka(c);
  await stopClickHouse(c);
  fs.rmSync(c.TDB_DATA_DIR, { recursive: true, force: true });
});

async function produce(topic: string, n: number) {
  const kafka = createKafka(c, 'services-test');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
  });
  await producer.disconnect();
}

async function countMessages(topic: string): Promise<number> {
  const admin = createKafka(c, 'services-test').admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

it('kafka: a second start is a no-op; after SIGKILL, start recovers the broker and its data', async () => {
  await startKafka(c, silentProgress);
  const pid = kafkaStatus(c);
  expect(pid).toBeDefined();
  await startKafka(c, silentProgress);
  expect(kafkaStatus(c)).toBe(pid);

  await produce('recovery', 25);
  process.kill(pid as number, 'SIGKILL');
  await startKafka(c, silentProgress);
  expect(kafkaStatus(c)).not.toBe(pid);
  expect(await countMessages('recovery')).toBe(25);
});

it('clickhouse: data survives stop and start; a second start is a no-op', async () => {
  await startClickHouse(c, silentProgress);
  const pid = clickhouseStatus(c);
  await startClickHouse(c, silentProgress);
  expect(clickhouseStatus(c)).toBe(pid);
  const ch = createClickHouse(c, { database: 'default' });
  await ch.command('CREATE TABLE IF NOT EXISTS default.kept (n UInt32) ENGINE = MergeTree ORDER BY n');
  await ch.command('INSERT INTO default.kept SELECT number FROM system.numbers LIMIT 1000');
  await ch.close();
  await stopClickHouse(c);
  expect(clickhouseStatus(c)).toBeUndefined();
  await startClickHouse(c, silentProgress);
  const again = createClickHouse(c, { database: 'default' });
  expect(await again.query<{ n: string }>('SELECT count() AS n FROM default.kept')).toEqual([{ n: '1000' }]);
  await again.close();
});
