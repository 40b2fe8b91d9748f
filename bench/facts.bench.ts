/**
 * Benchmark of the processor's hot path for facts (not a test): `npx tsx bench/facts.bench.ts`.
 * In-process, no service: what the stream processor does per learner version between the status
 * engine and the INSERTs, on the same inputs in every round:
 *
 * - dims: the dimensions of a normalised record image (streams/facts/dimensions.ts dimensionsOf);
 * - rows: its signed delta rows and interval rows (streams/facts/rows.ts) and its dossiers row
 *   (streams/processor/facts.ts), a third of them updates cancelling a previous version;
 * - tsv: the TabSeparated text of the three tables (streams/processor/sink.ts toTsv);
 * - state: the learner state written to Redis and read back (streams/processor/state.ts).
 *
 * Records come from connectors/simulation through the production normaliser; organisations are
 * generated (valid UAI and SIRET). CPU time (process.cpuUsage) per stage, median of the rounds;
 * then the SHA-256 of each table's TSV text, so that two trees can be compared byte for byte
 * (BENCH_DUMP=<folder> also writes the texts). To compare two commits side by side, run this file
 * from each tree in turn (e.g. an extract of the older commit made with `git archive`), several
 * times alternately.
 *
 * Environment: BENCH_RECORDS (default 200000), BENCH_ROUNDS (default 7), BENCH_DUMP.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { normaliseDossier } from '../connectors/core/normalise';
import { generateDossiers } from '../connectors/simulation/dossiers';
import type { FrApprentissageTdb } from '../schemas/generated/DossierApprenant';
import { dimensionsOf } from '../streams/facts/dimensions';
import { countedIntervals, deltaRows, intervalRows, type Contribution } from '../streams/facts/rows';
import { dossierRow } from '../streams/processor/facts';
import { COLUMNS, toTsv } from '../streams/processor/sink';
import { decodeState, encodeState, type LearnerState } from '../streams/processor/state';
import { generateOrganismes } from '../streams/referentiels/organismes';
import { loadTerritoires } from '../streams/referentiels/territoires';
import { dayFromIso } from '../streams/status/calendar';
import { computeParcours } from '../streams/status/engine';
import type { ParcoursEntry } from '../streams/status/types';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TODAY = dayFromIso('2025-01-15');

type Image = FrApprentissageTdb.DossierApprenant;

interface Input {
  key: string;
  image: Image;
  parcours: ParcoursEntry[];
  /** The previous version's contribution (same dimensions, training ending 30 days earlier), or null. */
  before: Contribution | null;
}

function inputs(): Input[] {
  const territoires = loadTerritoires();
  const organismes = generateOrganismes(6_000, territoires, 3);
  const refs = { organismes, territoires };
  const out: Input[] = [];
  const identite = Buffer.from('x'.repeat(180));
  let i = 0;
  for (const v3 of generateDossiers({ count: RECORDS, organismes, territoires, today: TODAY, seed: 5 })) {
    // type_cfa is part of the v3 record (SIFA survey): most ERPs send it.
    if (i % 4 !== 3) v3.type_cfa = String((i % 10) + 1).padStart(2, '0');
    const r = normaliseDossier(v3, refs, { today: TODAY });
    i++;
    if (!r.ok) continue;
    const image = { ...r.dossier.image, identite_chiffree: identite } as Image;
    let parcours: ParcoursEntry[];
    try {
      parcours = computeParcours({
        entree: image.date_entree_formation,
        fin: image.date_fin_formation,
        exclusion: image.date_exclusion_formation,
        contrats: image.contrats.map((c, n) => ({
          debut: c.date_debut,
          fin: c.date_fin,
          rupture: c.date_rupture,
          rang: n + 1,
        })),
      }).parcours;
    } catch {
      continue;
    }
    const before =
      i % 3 === 0
        ? {
            intervals: countedIntervals(parcours, image.date_entree_formation, image.date_fin_formation - 30),
            dims: dimensionsOf(image, refs),
          }
        : null;
    out.push({
      key: createHash('sha256').update(String(i)).digest('hex').slice(0, 32),
      image,
      parcours,
      before,
    });
  }
  return out;
}

const cpuMs = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  process.stderr.write(`bench facts: preparing ${RECORDS} records…\n`);
  const territoires = loadTerritoires();
  const refs = { organismes: generateOrganismes(6_000, territoires, 3), territoires };
  const data = inputs();
  const stages = { dims: [] as number[], rows: [] as number[], tsv: [] as number[], state: [] as number[] };
  let texts: Record<string, string> = {};
  for (let round = 0; round < ROUNDS; round++) {
    let t = process.cpuUsage();
    const dims = data.map((d) => dimensionsOf(d.image, refs));
    stages.dims.push(cpuMs(t));

    t = process.cpuUsage();
    const deltas: object[] = [];
    const intervals: object[] = [];
    const dossiers: object[] = [];
    const states: LearnerState[] = [];
    for (let n = 0; n < data.length; n++) {
      const d = data[n]!;
      const after: Contribution = {
        intervals: countedIntervals(d.parcours, d.image.date_entree_formation, d.image.date_fin_formation),
        dims: dims[n]!,
      };
      for (const r of deltaRows(d.key, 2, 'batch-1', d.before, after)) deltas.push(r);
      for (const r of intervalRows(d.key, 2, after, d.before ? d.before.intervals.length + 1 : 0))
        intervals.push(r);
      const s: LearnerState = {
        v: 2,
        op: 'UPDATE',
        part: n % 6,
        person_key: d.key,
        rec: {
          dims: dims[n]!,
          commune: d.image.code_commune_insee_apprenant,
          entree: d.image.date_entree_formation,
          fin: d.image.date_fin_formation,
          age_entree: d.image.age_entree_formation,
          libelle: d.image.libelle_court_formation,
          identite: 'eA==',
        },
        parcours: d.parcours,
        slots: after.intervals.length,
        statut: null,
        t: TODAY,
        alerts: [],
      };
      states.push(s);
      const row = dossierRow(d.key, s, TODAY, 1_736_899_200_000);
      if (row) dossiers.push(row);
    }
    stages.rows.push(cpuMs(t));

    t = process.cpuUsage();
    texts = {
      effectifs_deltas: toTsv(COLUMNS.effectifs_deltas, deltas),
      statut_intervalles: toTsv(COLUMNS.statut_intervalles, intervals),
      dossiers: toTsv(COLUMNS.dossiers, dossiers),
    };
    stages.tsv.push(cpuMs(t));

    t = process.cpuUsage();
    let bytes = 0;
    for (const s of states) {
      const text = encodeState(s);
      bytes += text.length;
      if (decodeState(text)!.v !== s.v) throw new Error('state round trip');
    }
    stages.state.push(cpuMs(t));
    process.stderr.write(
      `round ${round + 1}/${ROUNDS}: ${deltas.length} deltas, ${intervals.length} intervals, ${dossiers.length} dossiers, state ${(bytes / states.length).toFixed(0)} B/learner\n`,
    );
  }
  const total = stages.dims.map(
    (_, i) => stages.dims[i]! + stages.rows[i]! + stages.tsv[i]! + stages.state[i]!,
  );
  console.log(`records: ${data.length}, rounds: ${ROUNDS} (CPU ms, median)`);
  for (const [name, xs] of Object.entries({ ...stages, total }))
    console.log(
      `  ${name.padEnd(6)} ${median(xs).toFixed(0).padStart(7)} ms  (${((data.length / median(xs)) * 1000).toFixed(0)} records/s)`,
    );
  for (const [table, text] of Object.entries(texts)) {
    console.log(`  sha256 ${table}: ${createHash('sha256').update(text).digest('hex')}`);
    if (process.env.BENCH_DUMP) {
      fs.mkdirSync(process.env.BENCH_DUMP, { recursive: true });
      fs.writeFileSync(path.join(process.env.BENCH_DUMP, `${table}.tsv`), text);
    }
  }
}

main();
