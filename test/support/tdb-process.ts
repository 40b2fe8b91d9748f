/**
 * A platform command (`node bin/tdb.js <args>`) run as a child process of a test, in the test's
 * namespace (so that it can be killed, even with SIGKILL, and restarted). Its stderr (pino JSON
 * lines) is kept for assertions and failure messages.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

let built = false;

/**
 * `bin/tdb.js`, after building dist/ if a source is newer than the build (infra/scripts/build.sh
 * --if-stale, once per test process): the commands tests spawn run the compiled build, as in
 * production, and bin/tdb.js refuses a stale one.
 */
export function tdbBin(): string {
  if (!built) {
    execFileSync('bash', [path.join(REPO, 'infra', 'scripts', 'build.sh'), '--if-stale'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built = true;
  }
  return path.join(REPO, 'bin', 'tdb.js');
}

export interface TdbProcess {
  name: string;
  child: ChildProcess;
  /** Everything the child wrote on stderr so far. */
  stderr(): string;
  /** Resolves when the child's log says it joined its consumer group. */
  joined: Promise<void>;
  exited: Promise<number | null>;
}

export function spawnTdb(name: string, args: string[], env: Record<string, string>): TdbProcess {
  const child = spawn(process.execPath, [tdbBin(), ...args], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let onJoin: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (onJoin = resolve));
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.includes('joined the consumer group')) onJoin();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, stderr: () => err, joined, exited };
}

/** Resolves when every process joined its group; rejects with its stderr if one exits first. */
export function allJoined(processes: TdbProcess[]): Promise<void> {
  const failed = Promise.race(
    processes.map((p) =>
      p.exited.then((code) =>
        Promise.reject(new Error(`${p.name} exited (${code}):\n${p.stderr().slice(-3000)}`)),
      ),
    ),
  );
  return Promise.race([Promise.all(processes.map((p) => p.joined)).then(() => undefined), failed]);
}
