/**
 * The platform's own long-running processes, run as daemons by `tdb services start --app` (and
 * the demo): the stream processor (consumer group over the change topic) and the HTTP API.
 * Both run the compiled build through bin/tdb.js (dist/, refused when older than the sources), with
 * the caller's environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { diedSinceStarted, logFile, runningPid, startDaemon, stopDaemon, waitUntil } from './daemon';
import { httpGet } from './probes';
import type { Progress } from './progress';

const runDir = (c: Config) => path.join(c.TDB_DATA_DIR, 'run');
const tdb = (c: Config) => path.join(c.repoRoot, 'bin', 'tdb.js');

/** The platform's daemons; `group` is the consumer group suffix of the Kafka consumers. */
const APPS = [
  // The processor's heap is capped: V8 otherwise grows lazily to ~480 MB under load; 256 MB keeps
  // the same throughput (bench:pipeline) and the process well under its 512 MB target.
  { name: 'processor', args: ['processor', 'run'], group: 'processor', node: ['--max-old-space-size=256'] },
  { name: 'alert-inbox', args: ['alertes', 'run'], group: 'alert-inbox', node: [] },
  { name: 'api', args: ['api', 'serve'], group: null, node: [] },
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

/** Size of a daemon's log now: what it writes after a start is read from there. */
const logSize = (c: Config, name: string) => {
  const file = logFile(runDir(c), name);
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
};

/** True when the daemon's log, from byte `from` on, contains `marker`. */
function logSince(c: Config, name: string, from: number, marker: string): boolean {
  const file = logFile(runDir(c), name);
  if (!fs.existsSync(file)) return false;
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - from));
    fs.readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8').includes(marker);
  } finally {
    fs.closeSync(fd);
  }
}

export async function startApp(c: Config, progress: Progress): Promise<void> {
  const started: { name: string; from: number }[] = [];
  for (const app of APPS) {
    if (runningPid(runDir(c), app.name) !== undefined) {
      progress.ok(`${app.name} already running`);
      continue;
    }
    progress.step(`starting ${app.name}`);
    if (app.group) started.push({ name: app.name, from: logSize(c, app.name) });
    startDaemon({
      name: app.name,
      command: process.execPath,
      args: [...app.node, tdb(c), ...app.args],
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
  // A consumer is ready once it has joined its group (and it must not have died on the way).
  for (const s of started) {
    await waitUntil(s.name, async () => logSince(c, s.name, s.from, 'joined the consumer group'), {
      timeoutMs: 90_000,
      intervalMs: 250,
      daemon: { runDir: runDir(c), name: s.name },
    });
    progress.ok(`${s.name} joined its consumer group`);
  }
}

export async function stopApp(c: Config, progress: Progress): Promise<void> {
  for (const app of [...APPS].reverse()) {
    if (await stopDaemon(runDir(c), app.name, 30_000)) progress.ok(`stopped ${app.name}`);
  }
}

/** Per daemon: name, where it serves, its pid if it runs, and whether it was started and died. */
export function appStatus(c: Config): [string, string, number | undefined, boolean][] {
  return APPS.map((a) => {
    const died = diedSinceStarted(runDir(c), a.name);
    return [
      a.name,
      a.group ? `consumer group ${c.TDB_NAMESPACE}.${a.group}` : apiUrl(c),
      died ? undefined : runningPid(runDir(c), a.name),
      died,
    ];
  });
}
