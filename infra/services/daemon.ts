/**
 * Background processes owned by the platform: started detached with their output in a log file
 * and their pid in a pid file, so that `tdb services status|stop` work from any later shell.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError } from '../errors';

export interface DaemonSpec {
  /** Short name, used in messages and file names (kafka, clickhouse, …). */
  name: string;
  command: string;
  args: string[];
  /** Directory holding `<name>.pid` and `<name>.log`. */
  runDir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class ServiceError extends PermanentError {
  override name = 'ServiceError';
}

const pidFile = (runDir: string, name: string) => path.join(runDir, `${name}.pid`);
export const logFile = (runDir: string, name: string) => path.join(runDir, `${name}.log`);

/** True when the process exists and is not a zombie (a killed daemon whose parent has not reaped it yet). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** What a daemon's pid file says: no file, a live process (its pid), or a dead one (stale file). */
function pidFileState(file: string): { pid: number } | 'none' | 'stale' {
  if (!fs.existsSync(file)) return 'none';
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? { pid } : 'stale';
}

/** True when the daemon has a pid file but no live process: it was started and died (crash, kill -9). */
export function diedSinceStarted(runDir: string, name: string): boolean {
  return pidFileState(pidFile(runDir, name)) === 'stale';
}

/** The pid of a running daemon, or undefined (a stale pid file is removed). */
export function runningPid(runDir: string, name: string): number | undefined {
  const file = pidFile(runDir, name);
  const state = pidFileState(file);
  if (typeof state === 'object') return state.pid;
  if (state === 'stale') fs.rmSync(file, { force: true });
  return undefined;
}

/** Starts the daemon detached from this process; returns its pid. */
export function startDaemon(spec: DaemonSpec): number {
  fs.mkdirSync(spec.runDir, { recursive: true });
  const out = fs.openSync(logFile(spec.runDir, spec.name), 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new ServiceError(`${spec.name}: could not start ${spec.command}`);
  child.unref();
  fs.writeFileSync(pidFile(spec.runDir, spec.name), `${child.pid}\n`);
  return child.pid;
}

/** Sends SIGTERM, waits up to `timeoutMs` for the exit, then SIGKILL. Returns false if it was not running. */
export async function stopDaemon(runDir: string, name: string, timeoutMs = 30_000): Promise<boolean> {
  const pid = runningPid(runDir, name);
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    signalGroup(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }
  fs.rmSync(pidFile(runDir, name), { force: true });
  return true;
}

/** Daemons lead their own process group (detached): signal the group so children go too. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Last lines of a daemon's log, for error messages. */
export function logTail(runDir: string, name: string, lines = 15): string {
  const file = logFile(runDir, name);
  if (!fs.existsSync(file)) return '(no log)';
  const text = fs.readFileSync(file, 'utf8');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

/**
 * Polls `probe` until it returns true. Throws a ServiceError naming `what`, the timeout and,
 * when a daemon is given, the tail of its log (and whether it died).
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; daemon?: { runDir: string; name: string } },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    const d = opts.daemon;
    if (d && runningPid(d.runDir, d.name) === undefined) {
      throw new ServiceError(
        `${what}: the process exited. Last lines of ${logFile(d.runDir, d.name)}:\n${logTail(d.runDir, d.name)}`,
      );
    }
    if (Date.now() > deadline) {
      const tail = d ? `\nLast lines of ${logFile(d.runDir, d.name)}:\n${logTail(d.runDir, d.name)}` : '';
      throw new ServiceError(`${what}: not ready after ${opts.timeoutMs / 1000} s${tail}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

/**
 * When the daemon runs, waits until it is ready and returns true. Returns false when it does not
 * run, or exits while we wait (e.g. it was being killed): the caller then starts a new one.
 */
export async function adoptRunning(
  runDir: string,
  name: string,
  waitReady: () => Promise<void>,
): Promise<boolean> {
  if (runningPid(runDir, name) === undefined) return false;
  try {
    await waitReady();
    return true;
  } catch (err) {
    if (runningPid(runDir, name) === undefined) return false;
    throw err;
  }
}

/**
 * False when `isTaken()` stays true for `timeoutMs`: a port held by a process of ours that is
 * still exiting (killed a moment ago) is released within seconds; a foreign one is not.
 */
export async function portReleased(isTaken: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isTaken()) {
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return true;
}
