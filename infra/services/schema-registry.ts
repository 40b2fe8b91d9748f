/**
 * The schema registry: Apicurio Registry, serving the Confluent Schema Registry API under
 * /apis/ccompat/v7 (what @kafkajs/confluent-schema-registry speaks), with its storage in Kafka
 * ("kafkasql": a journal topic, so schemas survive restarts and `reset` wipes them with Kafka).
 *
 * Maven Central publishes the packaged application as io.apicurio:apicurio-registry-app:<v>:tar.gz:all;
 * it is downloaded once into TDB_CACHE_DIR and checked against Central's SHA-1. Apicurio 3.3 is
 * built for Java 21: a JDK ≥ 21 is looked for under /usr/lib/jvm; without one, 3.0.9 runs on Java 17
 * (with the consumer setting that works around its stuck snapshot consumer).
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import {
  adoptRunning,
  portReleased,
  runningPid,
  ServiceError,
  startDaemon,
  stopDaemon,
  waitUntil,
} from './daemon';
import { httpGet, tcpOpen } from './probes';
import type { Progress } from './progress';

const NAME = 'schema-registry';
const CENTRAL = 'https://repo1.maven.org/maven2/io/apicurio/apicurio-registry-app';
const FALLBACK_VERSION = '3.0.9';

const runDir = (c: Config) => path.join(c.TDB_DATA_DIR, 'run');

/** Major version of a `java` binary, or 0 if it does not run. */
function javaMajor(javaBin: string): number {
  // `java -version` writes to stderr.
  const r = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  return r.status === 0 ? parseJavaVersion(`${r.stderr}${r.stdout}`) : 0;
}

function parseJavaVersion(text: string): number {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

/** The newest JDK ≥ `min` among /usr/lib/jvm/* and `java` on the PATH. */
function findJava(min: number): string | undefined {
  const candidates = ['java'];
  const root = '/usr/lib/jvm';
  if (fs.existsSync(root))
    for (const d of fs.readdirSync(root)) candidates.push(path.join(root, d, 'bin', 'java'));
  let best: { bin: string; major: number } | undefined;
  for (const bin of candidates) {
    if (bin !== 'java' && !fs.existsSync(bin)) continue;
    const major = javaMajor(bin);
    if (major >= min && (!best || major > best.major)) best = { bin, major };
  }
  return best?.bin;
}

async function download(url: string, file: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok || !res.body)
    throw new ServiceError(`schema registry: cannot download ${url} (HTTP ${res.status})`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const sha1 = (await (await fetch(`${url}.sha1`)).text()).trim().split(/\s+/)[0];
  const actual = createHash('sha1').update(bytes).digest('hex');
  if (sha1 && sha1 !== actual)
    throw new ServiceError(
      `schema registry: ${url} does not match Maven Central's SHA-1 (${actual} ≠ ${sha1})`,
    );
  fs.writeFileSync(file, bytes);
}

/** Downloads and unpacks Apicurio once; returns the directory of the application. */
async function ensureApicurio(c: Config, version: string, progress: Progress): Promise<string> {
  const dir = path.join(c.TDB_CACHE_DIR, `apicurio-registry-${version}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, 'app.tar.gz');
  progress.step(`downloading Apicurio Registry ${version} from Maven Central (once, ~160 MB)`);
  await download(`${CENTRAL}/${version}/apicurio-registry-app-${version}-all.tar.gz`, archive);
  execFileSync('tar', ['xzf', archive, '-C', dir]);
  fs.rmSync(archive);
  fs.writeFileSync(path.join(dir, '.complete'), new Date().toISOString());
  return dir;
}

/** The runnable jar inside the unpacked application (fast-jar layout in 3.3, runner jar in 3.0). */
function findJar(dir: string): string {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop() as string;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== 'lib') stack.push(p);
      else if (e.name === 'quarkus-run.jar' || /-runner\.jar$/.test(e.name)) return p;
    }
  }
  throw new ServiceError(`schema registry: no runnable jar in ${dir} (delete it to download again)`);
}

export async function startSchemaRegistry(c: Config, progress: Progress): Promise<void> {
  if (c.SCHEMA_REGISTRY_URL) {
    progress.ok('schema registry: using SCHEMA_REGISTRY_URL (not started by the platform)');
    return;
  }
  const ready = async () => (await httpGet(`${c.schemaRegistryUrl}/subjects`)) !== undefined;
  const waitReady = () =>
    waitUntil('schema registry', ready, { timeoutMs: 90_000, daemon: { runDir: runDir(c), name: NAME } });
  if (await adoptRunning(runDir(c), NAME, waitReady)) {
    progress.ok(`schema registry already running on ${c.schemaRegistryUrl}`);
    return;
  }
  if (!(await portReleased(() => tcpOpen(c.SCHEMA_REGISTRY_PORT)))) {
    throw new ServiceError(
      `schema registry: port ${c.SCHEMA_REGISTRY_PORT} is taken by another process (set SCHEMA_REGISTRY_PORT)`,
    );
  }
  let version = c.APICURIO_VERSION;
  let java = findJava(version.startsWith('3.0') || version.startsWith('2.') ? 17 : 21);
  if (!java) {
    progress.warn(
      `Apicurio ${version} needs Java 21+ and none was found under /usr/lib/jvm: using ${FALLBACK_VERSION} on Java 17`,
    );
    version = FALLBACK_VERSION;
    java = findJava(17);
  }
  if (!java) throw new ServiceError('schema registry: no Java 17+ found (install openjdk-17-jre-headless)');
  const dir = await ensureApicurio(c, version, progress);
  const jar = findJar(dir);
  const ns = 'tdb-registry';
  const args = [
    '-Xms128m',
    `-Xmx${c.SCHEMA_REGISTRY_HEAP}`,
    `-Dquarkus.http.host=127.0.0.1`,
    `-Dquarkus.http.port=${c.SCHEMA_REGISTRY_PORT}`,
    `-Dquarkus.management.host=127.0.0.1`,
    `-Dquarkus.management.port=${c.SCHEMA_REGISTRY_MANAGEMENT_PORT}`,
    '-Dquarkus.log.level=WARN',
    '-Dapicurio.storage.kind=kafkasql',
    `-Dapicurio.kafkasql.bootstrap.servers=${c.kafkaBrokers.join(',')}`,
    `-Dapicurio.kafkasql.topic=_schemas`,
    `-Dapicurio.kafkasql.snapshots.topic=_schemas-snapshots`,
    `-Dregistry.id=${ns}`,
    // Start-up waits one poll on the snapshots topic: 1 s instead of 10.
    '-Dapicurio.kafkasql.consumer.poll.timeout=1000',
    // 3.0.x: its snapshots consumer is never polled again and blocks the group's rebalance.
    ...(version.startsWith('3.0') ? ['-Dapicurio.kafkasql.consumer.max.poll.interval.ms=5000'] : []),
    '-jar',
    jar,
  ];
  progress.step(`starting Apicurio Registry ${version} on 127.0.0.1:${c.SCHEMA_REGISTRY_PORT}`);
  startDaemon({ name: NAME, command: java, args, runDir: runDir(c), cwd: path.dirname(jar) });
  await waitUntil('schema registry', ready, {
    timeoutMs: 120_000,
    intervalMs: 500,
    daemon: { runDir: runDir(c), name: NAME },
  });
  progress.ok(`schema registry ready on ${c.schemaRegistryUrl}`);
}

export async function stopSchemaRegistry(c: Config): Promise<boolean> {
  return stopDaemon(runDir(c), NAME, 30_000);
}

export function registryStatus(c: Config): number | undefined {
  return runningPid(runDir(c), NAME);
}
