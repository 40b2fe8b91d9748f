/**
 * Redis: used as is when something already answers on REDIS_PORT (the machine's own server);
 * otherwise started by the platform with its data under TDB_DATA_DIR/redis, persisted with an
 * append-only file so that processor state survives a restart.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { runningPid, ServiceError, startDaemon, stopDaemon, waitUntil } from './daemon';
import { redisPing } from './probes';
import type { Progress } from './progress';

const NAME = 'redis';
const runDir = (c: Config) => path.join(c.TDB_DATA_DIR, 'run');

export async function startRedis(c: Config, progress: Progress): Promise<void> {
  if (c.REDIS_URL) {
    progress.ok(`redis: using REDIS_URL (not started by the platform)`);
    return;
  }
  const ours = runningPid(runDir(c), NAME) !== undefined;
  if (await redisPing(c.REDIS_PORT)) {
    progress.ok(
      `redis already running on 127.0.0.1:${c.REDIS_PORT}${ours ? '' : ' (not started by the platform)'}`,
    );
    return;
  }
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
  } catch {
    if (process.getuid?.() !== 0)
      throw new ServiceError('redis-server is not installed: run `apt-get install -y redis-server` as root');
    progress.step('installing redis-server from Debian packages (once)');
    execFileSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  const dir = path.join(c.TDB_DATA_DIR, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  progress.step(`starting redis on 127.0.0.1:${c.REDIS_PORT}`);
  startDaemon({
    name: NAME,
    command: 'redis-server',
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(c.REDIS_PORT),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
    ],
    runDir: runDir(c),
  });
  await waitUntil('redis', () => redisPing(c.REDIS_PORT), {
    timeoutMs: 20_000,
    daemon: { runDir: runDir(c), name: NAME },
  });
  progress.ok(`redis ready on 127.0.0.1:${c.REDIS_PORT}`);
}

/** Stops Redis only if the platform started it. */
export async function stopRedis(c: Config): Promise<boolean> {
  return stopDaemon(runDir(c), NAME, 20_000);
}

export function redisStatus(c: Config): number | undefined {
  return runningPid(runDir(c), NAME);
}
