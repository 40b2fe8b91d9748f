/**
 * What production runs (issue 10 §5): the compiled build in dist/, with the files it reads at run
 * time by path beside it, and dependencies that all support the Node versions package.json
 * declares.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { readMigrations } from '../../infra/clickhouse/migrate';
import { AVRO_SCHEMA_NAMES } from '../../schemas/avro';
import { loadAllMappings } from '../../connectors/mappings/mapping';
import { tdbBin } from '../support/tdb-process';

const REPO = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

describe('Node versions', () => {
  it('every installed dependency supports every Node version package.json declares', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && !Array.isArray(p.engines) && p.engines?.node)
      .filter(([, p]) => !semver.subset(pkg.engines.node, (p.engines as { node: string }).node))
      .map(
        ([name, p]) =>
          `${name.replace(/^.*node_modules\//, '')}@${p.version} wants ${JSON.stringify(p.engines)}`,
      );
    expect(refusing).toEqual([]);
  });

  it('the Node running the tests is one of them, and the README says which', () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    expect(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')).toContain(`\`${pkg.engines.node}\``);
  });
});

describe('the build (dist/)', () => {
  beforeAll(() => tdbBin(), 120_000); // builds dist/ when a source is newer

  /** Runs `script` in a child Node from the repository root, returning its stdout. */
  const node = (script: string) =>
    execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });

  it('runs from dist with the run-time files found beside the compiled code', () => {
    const out = JSON.parse(
      node(`
        const { readMigrations } = require('./dist/infra/clickhouse/migrate');
        const { avroSchema, AVRO_SCHEMA_NAMES } = require('./dist/schemas/avro');
        const { loadAllMappings } = require('./dist/connectors/mappings/mapping');
        const { loadTerritoires } = require('./dist/streams/referentiels/territoires');
        const { libelleOf } = require('./dist/api/format/libelles');
        const { loadConfig } = require('./dist/infra/config');
        const fs = require('node:fs');
        process.stdout.write(JSON.stringify({
          migrations: readMigrations().map((m) => m.checksum),
          schemas: AVRO_SCHEMA_NAMES.map((n) => avroSchema(n).name),
          mappings: loadAllMappings().length,
          academie: loadTerritoires().ofDepartement('69').academie,
          libelle: libelleOf('academie', '10', { byUai: () => [] }),
          repoRoot: loadConfig({}).repoRoot,
          worker: fs.existsSync('dist/connectors/core/worker-entry.js') && fs.existsSync('dist/connectors/core/worker.js'),
        }));
      `),
    );
    expect(out).toEqual({
      migrations: readMigrations().map((m) => m.checksum),
      schemas: AVRO_SCHEMA_NAMES.map((n) => expect.stringContaining(n)),
      mappings: loadAllMappings().length,
      academie: '10',
      libelle: 'Lyon',
      repoRoot: REPO,
      worker: true,
    });
  });

  it('bin/tdb.js runs the compiled command line', () => {
    const help = execFileSync(process.execPath, [tdbBin(), '--help'], { cwd: REPO, encoding: 'utf8' });
    expect(help).toContain("Tableau de bord de l'apprentissage: command line");
    expect(fs.readFileSync(path.join(REPO, 'bin', 'tdb.js'), 'utf8')).toContain(
      "require('../dist/bin/tdb.js')",
    );
  });
});
