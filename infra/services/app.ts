/**
 * The platform's own long-running processes, run as daemons by `tdb services start --app` (and
 * the demo): the stream processor (consumer group over the change topic) and the HTTP API.
 * Both run from the TypeScript sources through bin/tdb.js, with the caller's environment.
 */
import path from 'node:path';
import type { Config } from '../config';
import { runningPid, startDaemon, stopDaemon, waitUntil } from './daemon';
import { httpGet } from './probes';
import type { Progress } from './progress';

const runDir = (c: Config) => path.join(c.TDB_DATA_DIR, 'run');
const tdb = (c: Config) => path.join(c.repoRoot, 'bin', 'tdb.js');

/** The platform's daemons; `group` is the consumer group suffix of the Kafka consumers. */
const APPS = [
  { name: 'processor', args: ['processor', 'run'], group: 'processor' },
  { name: 'alert-inbox', args: ['alertes', 'run'], group: 'alert-inbox' },
  { name: 'api', args: ['api', 'serve'], group: null },
] as const;

export const apiUrl = (c: Config) => `http://${c.API_HOST}:${c.API_PORT}`;

/** The caller's environment, with paths made absolute (the daemons run from the repository root). */
function daemonEnv(c: Config): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TDB_DATA_DIR: c.TDB_DATA_DIR,
    TDB_CACHE_DIR: c.TDB_CACHE_DIR,
  };
  for (const [name, value] of Object.entries(c)) {
    if (/_(CSV|DIR)$/.test(name) && typeof value === 'string') env[name] = path.resolve(value);
  }
  return env;
}

export async function startApp(c: Config, progress: Progress): Promise<void> {
  for (const app of APPS) {
    if (runningPid(runDir(c), app.name) !== undefined) {
      progress.ok(`${app.name} already running`);
      continue;
    }
    progress.step(`starting ${app.name}`);
    startDaemon({
      name: app.name,
      command: process.execPath,
      args: [tdb(c), ...app.args],
      runDir: runDir(c),
      cwd: c.repoRoot,
      env: daemonEnv(c),
    });
  }
  await waitUntil('api', async () => (await httpGet(`${apiUrl(c)}/readyz`)) !== undefined, {
    timeoutMs: 60_000,
    daemon: { runDir: runDir(c), name: 'api' },
  });
  progress.ok(`api ready on ${apiUrl(c)}`);
}

export async function stopApp(c: Config, progress: Progress): Promise<void> {
  for (const app of [...APPS].reverse()) {
    if (await stopDaemon(runDir(c), app.name, 30_000)) progress.ok(`stopped ${app.name}`);
  }
}

export function appStatus(c: Config): [string, string, number | undefined][] {
  return APPS.map((a) => [
    a.name,
    a.group ? `consumer group ${c.TDB_NAMESPACE}.${a.group}` : apiUrl(c),
    runningPid(runDir(c), a.name),
  ]);
}
