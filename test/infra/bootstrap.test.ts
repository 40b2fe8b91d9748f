/**
 * bootstrapNamespace on the real services: Redis state of a namespace whose Kafka topics did not
 * exist (an external Redis that outlived the Kafka data) is deleted, so that stale CDC fingerprints
 * cannot make every record look unchanged; state of a namespace whose topics exist is kept.
 */
import { randomBytes } from 'node:crypto';
import { bootstrapNamespace } from '../../infra/bootstrap';
import { loadConfig } from '../../infra/config';
import { createRedis, redisKeys } from '../../infra/redis/client';
import type { Progress } from '../../infra/services/progress';
import { createTestPlatform, type TestPlatform } from '../support/platform';

jest.setTimeout(60_000);

const ns = `t_stale_${randomBytes(4).toString('hex')}`;
const redis = createRedis(loadConfig({ ...process.env, TDB_NAMESPACE: ns }));
const fingerprints = redisKeys(ns).fingerprints;
let platform: TestPlatform | undefined;

afterAll(async () => {
  await platform?.cleanup();
  redis.disconnect();
});

const capture = () => {
  const warnings: string[] = [];
  const progress: Progress = { step() {}, ok() {}, count() {}, warn: (m: string) => void warnings.push(m) };
  return { warnings, progress };
};

test('new topics: the namespace’s old Redis keys are deleted, with a warning; existing topics: kept', async () => {
  const config = loadConfig({ ...process.env, TDB_NAMESPACE: ns });
  await redis.hset(fingerprints, 'OLD:2024-2025:1', 'stale');
  await redis.set(`${ns}:state:OLD:2024-2025:1`, '{}');
  const first = capture();
  await bootstrapNamespace(config, first.progress);
  platform = await createTestPlatform({ TDB_NAMESPACE: ns }); // for its cleanup; topics exist now
  expect(await redis.exists(fingerprints, `${ns}:state:OLD:2024-2025:1`)).toBe(0);
  expect(first.warnings).toEqual([
    `redis held 2 key(s) of namespace ${ns} from a Kafka that no longer exists (its topics were just created): deleted`,
  ]);

  await redis.hset(fingerprints, 'NEW:2024-2025:1', 'current');
  const second = capture();
  await bootstrapNamespace(config, second.progress);
  expect(await redis.hget(fingerprints, 'NEW:2024-2025:1')).toBe('current');
  expect(second.warnings).toEqual([]);
});
