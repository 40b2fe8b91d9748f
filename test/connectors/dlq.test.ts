/**
 * Reading the dead-letter topic (`tdb dlq list`, connectors/dlq/) and the drop folder command's
 * exit codes and output, on the real services (isolated namespace), through the library and the
 * real command line (`node bin/tdb.js`, a child process in the test's namespace).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPipeline, type Pipeline } from '../../connectors/core/pipeline';
import { formatEntry } from '../../connectors/dlq/cli';
import { readDeadLetters } from '../../connectors/dlq/read';
import { createTestPlatform, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { tdbBin } from '../support/tdb-process';
import { dossier, ofB, ORG_A, ORG_B, type Decoded } from './support';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '..', '..');
let platform: TestPlatform;
let pipeline: Pipeline;
let between: number;

/** Runs `node bin/tdb.js …` in the test's namespace. */
function tdb(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tdbBin(), ...args],
      {
        cwd: REPO,
        env: { ...process.env, LOG_LEVEL: 'warn', TDB_NAMESPACE: platform.config.TDB_NAMESPACE, ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  platform = await createTestPlatform({ TDB_ORGANISMES_CSV: ORGANISMES_CSV });
  pipeline = createPipeline(platform.ctx, { workers: 0 });
  await pipeline.ingest({
    connector: 'api-v3',
    organisme: ORG_A,
    items: [
      dossier({ id_erp_apprenant: 'DLQ-1', date_entree_formation: '2024-02-30' }),
      dossier({ id_erp_apprenant: 'DLQ-2' }),
      dossier({
        id_erp_apprenant: 'DLQ-3',
        nom_apprenant: '  ',
        etablissement_formateur_siret: '43937112100014',
      }),
    ].map((input, i) => ({ input, location: `élément ${i + 1}` })),
  });
  await new Promise((r) => setTimeout(r, 20)); // distinct ingestion times (clock granularity), not a wait for a result
  between = Date.now();
  await pipeline.ingest({
    connector: 'depot',
    items: [{ input: ofB('DLQ-4', { annee_scolaire: '2024-2030' }), location: 'export.csv ligne 2' }],
  });
});

afterAll(async () => {
  await pipeline?.close();
  await platform?.cleanup();
});

describe('readDeadLetters', () => {
  test('every rejected item, oldest first, with when, connector, organisation, location and errors', async () => {
    const { entries, read, matching } = await readDeadLetters(platform.ctx);
    expect([read, matching]).toEqual([3, 3]);
    expect(
      entries.map((e) => [
        e.record.connector,
        e.record.organisme_uai,
        e.record.location,
        e.record.errors.map((x) => `${x.code}@${x.path}`),
      ]),
    ).toEqual([
      ['api-v3', ORG_A.uai, 'élément 1', ['DATE_INVALIDE@date_entree_formation']],
      // DLQ-3's formateur SIRET is wrong: the key's organisation is kept as its organisation.
      [
        'api-v3',
        ORG_A.uai,
        'élément 3',
        ['CHAMP_REQUIS@nom_apprenant', 'SIRET_CLE_INVALIDE@etablissement_formateur_siret'],
      ],
      ['depot', ORG_B.uai, 'export.csv ligne 2', ['ANNEE_SCOLAIRE_INVALIDE@annee_scolaire']],
    ]);
    expect(entries[0]!.key).toBe(`${ORG_A.uai}:2024-2025:DLQ-1`);
    expect(entries[0]!.input).toBeUndefined(); // sealed unless asked
    expect(formatEntry(entries[0]!)).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  api-v3  UAI ${ORG_A.uai} / SIRET ${ORG_A.siret}  élément 1  \\(partition \\d+, offset \\d+\\)\\n  DATE_INVALIDE  date_entree_formation : `,
      ),
    );
  });

  test('filters: organisation (any case), since, limit (the most recent); decryption on request', async () => {
    const a = await readDeadLetters(platform.ctx, { organisme: ORG_A.uai.toLowerCase() });
    expect(a.entries.map((e) => e.record.location)).toEqual(['élément 1', 'élément 3']);
    const since = await readDeadLetters(platform.ctx, { depuis: between });
    expect(since.entries.map((e) => e.record.location)).toEqual(['export.csv ligne 2']);
    const last = await readDeadLetters(platform.ctx, { organisme: ORG_A.uai, limit: 1, dechiffrer: true });
    expect(last.entries.map((e) => e.record.location)).toEqual(['élément 3']);
    expect(last.entries[0]!.input).toMatchObject({ id_erp_apprenant: 'DLQ-3', nom_apprenant: '  ' });
    expect(await readDeadLetters(platform.ctx, { organisme: '0000000A' })).toMatchObject({
      entries: [],
      matching: 0,
    });
  });

  test('reading leaves no consumer group behind', async () => {
    await readDeadLetters(platform.ctx);
    const admin = platform.ctx.kafka.admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups.filter((g) => g.startsWith(`${platform.config.TDB_NAMESPACE}.dlq-reader`))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('the command line', () => {
  test('tdb dlq list --json --organisme U --dechiffrer: one JSON object per rejected item, the input in clear', async () => {
    const r = await tdb(['dlq', 'list', '--json', '--organisme', ORG_B.uai, '--dechiffrer']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Decoded);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      connector: 'depot',
      organisme_uai: ORG_B.uai,
      location: 'export.csv ligne 2',
      errors: [{ code: 'ANNEE_SCOLAIRE_INVALIDE', path: 'annee_scolaire' }],
      input: { id_erp_apprenant: 'DLQ-4', annee_scolaire: '2024-2030' },
    });
    expect(lines[0]!.time).toBe(new Date(lines[0]!.ingestion_time as number).toISOString());
    expect(r.stderr).toMatch(/1 rejected item\(s\) shown, 1 matching, 3 read/);
  });

  test('tdb dlq list: text, without the input; the help says decryption is for operators', async () => {
    const r = await tdb(['dlq', 'list', '--limit', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/élément 3 .*\n {2}CHAMP_REQUIS {2}nom_apprenant : champ requis vide\n/);
    expect(r.stdout).toMatch(/export\.csv ligne 2/);
    expect(r.stdout).not.toMatch(/élément 1 /); // the 2 most recent only
    expect(r.stdout).not.toMatch(/entrée :/);
    const help = await tdb(['dlq', 'list', '--help']);
    expect(help.stdout).toMatch(/--dechiffrer.*PERSONAL DATA IN CLEAR, operators only/s);
    expect((await tdb(['dlq', 'list', '--depuis', 'hier'])).code).toBe(1);
    const feb30 = await tdb(['dlq', 'list', '--depuis', '2026-02-30']);
    expect([feb30.code, feb30.stderr]).toEqual([1, expect.stringMatching(/--depuis: .* "2026-02-30"/)]);
    const badUai = await tdb(['dlq', 'list', '--organisme', '0010070X']);
    expect([badUai.code, badUai.stderr]).toEqual([
      1,
      expect.stringMatching(/--organisme: "0010070X" is not a UAI/),
    ]);
  });

  test('tdb depot scan: exit code 3 when a file is refused, documented; never raw bytes of a garbage file on the terminal', async () => {
    const depot = fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-depot-cli-'));
    try {
      // A garbage file whose name and content hold terminal escape sequences.
      const garbage = Buffer.concat([
        Buffer.from('\x1b[2J\x1b]0;pwned\x07'),
        Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 31) % 256)),
      ]);
      fs.writeFileSync(path.join(depot, 'export\x1b[31m.csv'), garbage);
      fs.writeFileSync(path.join(depot, 'colonnes.csv'), '\x1b[2J;\x07b\nx;y\n');
      const r = await tdb(['depot', 'scan'], { TDB_DEPOT_DIR: depot });
      expect(r.code).toBe(3);
      // eslint-disable-next-line no-control-regex -- what must not reach the terminal
      expect(r.stderr.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(r.stderr).toMatch(/export\\x1b\[31m\.csv: failed \(fichier binaire ou illisible/);
      expect(r.stderr).toMatch(
        /colonnes\.csv: failed \(aucune colonne ne porte un nom de champ du contrat v3 \(colonnes : \\x1b\[2j, \\x07b\)/,
      );
      expect(fs.readdirSync(path.join(depot, 'failed')).sort()).toHaveLength(4); // two files and their reports
      const help = await tdb(['depot', 'scan', '--help']);
      expect(help.stdout).toMatch(
        /Exit codes: 0 every file read .*3 at least one file refused\s+into failed\/, 1 an error/s,
      );
    } finally {
      fs.rmSync(depot, { recursive: true, force: true });
    }
  });
});
