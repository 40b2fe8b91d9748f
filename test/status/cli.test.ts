/** `tdb timeline`: the pure runner, then the real command spawned as `node bin/tdb.js timeline …`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dayFromIso } from '../../streams/status/calendar';
import { runTimeline } from '../../streams/status/cli';
import { tdbBin } from '../support/tdb-process';

const dossier = {
  date_entree_formation: '2024-09-01',
  date_fin_formation: '2026-06-30',
  contrat_date_debut: '2024-09-15',
  contrat_date_fin: '2026-06-30',
  contrat_date_rupture: '2025-03-01',
};
const expected = {
  en_cours: 'APPRENTI',
  parcours: [
    { valeur: 'INSCRIT', date: '2024-09-01' },
    { valeur: 'APPRENTI', date: '2024-09-15' },
    { valeur: 'RUPTURANT', date: '2025-03-01' },
    { valeur: 'ABANDON', date: '2025-08-28' },
  ],
};
const asOf = dayFromIso('2025-01-10');

describe('runTimeline', () => {
  it('one object in, one object out; warnings on stderr', () => {
    const r = runTimeline(JSON.stringify(dossier), asOf);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expected);
    expect(r.stderr).toMatch(/contrat_date_rupture, RUPTURE_FUTURE/);
    expect(runTimeline(JSON.stringify(dossier), asOf, { warnings: false }).stderr).toBe('');
  });

  it('an array in, an array out, in order; en_cours follows the as-of date', () => {
    const r = runTimeline(JSON.stringify([dossier, dossier]), dayFromIso('2025-09-01'));
    const out = JSON.parse(r.stdout) as { en_cours: string }[];
    expect(out.map((o) => o.en_cours)).toEqual(['ABANDON', 'ABANDON']);
    expect(runTimeline('[]', asOf).stdout).toBe('[]\n');
  });

  it('invalid input: exit code 2, nothing on stdout, the field named on stderr', () => {
    const bad = runTimeline(
      JSON.stringify([
        dossier,
        { date_entree_formation: '2024-09-01', date_fin_formation: '2024-08-01' },
        42,
      ]),
      asOf,
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/dossier\[1\] invalide \(date_fin_formation, FIN_AVANT_ENTREE\)/);
    expect(bad.stderr).toMatch(/dossier\[2\] invalide \(\(dossier\), DOSSIER_NON_OBJET\)/);
    const missing = runTimeline(JSON.stringify({ date_fin_formation: '2026-06-30' }), asOf);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/date_entree_formation/);
    const json = runTimeline('{"date_entree_formation": ', asOf);
    expect(json.exitCode).toBe(2);
    expect(json.stderr).toMatch(/JSON invalide/);
  });
});

describe('tdb timeline (spawned)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tdb-timeline-'));
  const tdb = (args: string[], input?: string) =>
    spawnSync(process.execPath, [tdbBin(), 'timeline', ...args], {
      cwd: join(__dirname, '../..'),
      input,
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('reads a file', () => {
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify(dossier));
    const r = tdb(['--as-of', '2025-01-10', file]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it('reads stdin with - (and by default), an array of dossiers', () => {
    const r = tdb(['--as-of', '2025-01-10', '-'], JSON.stringify([dossier]));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expected]);
    const d = tdb(['--as-of', '2025-01-10', '--no-warnings'], JSON.stringify(dossier));
    expect(JSON.parse(d.stdout)).toEqual(expected);
    expect(d.stderr).toBe('');
  });

  it('--as-of defaults to today', () => {
    const r = tdb(
      [],
      JSON.stringify({ date_entree_formation: '2000-01-01', date_fin_formation: '2000-01-31' }),
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      en_cours: 'FIN_DE_FORMATION',
      parcours: [
        { valeur: 'INSCRIT', date: '2000-01-01' },
        { valeur: 'FIN_DE_FORMATION', date: '2000-01-31' },
      ],
    });
  });

  it('invalid file, invalid dossier, unreadable file, bad --as-of: exit code 2 with a message', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...dossier, contrat_date_debut: '2024-02-30' }));
    const r = tdb([file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/contrat_date_debut/);
    const missing = tdb([join(dir, 'missing.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/impossible de lire/);
    const asOfBad = tdb(['--as-of', '10/01/2025', file]);
    expect(asOfBad.status).toBe(2);
    expect(asOfBad.stderr).toMatch(/--as-of/);
  });
});
