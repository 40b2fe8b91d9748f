/**
 * The learner state's formats (streams/processor/state.ts): states already in Redis keep their
 * meaning when dimensions are added. Literals below were written by the encoders of their time and
 * are never regenerated: a change that shifts or drops a stored value fails here.
 */
import { DIMENSION_KEYS, NO_DIMENSIONS } from '../../streams/facts/dimensions';
import { decodeState, encodeState, V1_DIMENSIONS, type LearnerState } from '../../streams/processor/state';

/** Written by format 1's encoder (FORMAT = 1, the 17 dimensions of V1_DIMENSIONS). */
const V1_STATE =
  '[1,3,"UPDATE",4,"9f2c4b7e1a3d5f60718293a4b5c6d7e8",[["2024-2025","0693400W","77564141800014","0693400W","69","84","10","8414","50022137","RNCP34670","3","221","18-20","F",1,1,1],"69123",19967,20697,18,"CAP CUISINE","c2VhbGVk"],[0,19967,1,19998,2,20150],3,"RUPTURANT",20200,["a1b2c3"]]';

/** Written by format 2's encoder when the descriptors listed the 17 dimensions of format 1. */
const V2_STATE_17 =
  '[2,3,"UPDATE",4,"9f2c4b7e1a3d5f60718293a4b5c6d7e8",[["2024-2025","0693400W","77564141800014","0693400W","69","84","10","8414","50022137","RNCP34670","3","221","18-20","F",1,1,1],"69123",19967,20697,18,"CAP CUISINE","c2VhbGVk"],[0,19967,1,19998,2,20150],3,"RUPTURANT",20200,["a1b2c3"]]';

const V1_DIMS = {
  annee_scolaire: '2024-2025',
  organisme_uai: '0693400W',
  organisme_siret: '77564141800014',
  organisme_responsable_uai: '0693400W',
  departement: '69',
  region: '84',
  academie: '10',
  zone_emploi: '8414',
  formation_cfd: '50022137',
  formation_rncp: 'RNCP34670',
  niveau: '3',
  domaine: '221',
  tranche_age: '18-20',
  sexe: 'F',
  rqth: 1,
  fiable: 1,
  apprentissage: 1,
};

test('a format-1 state decodes with its values, and every dimension added since at its default', () => {
  const s = decodeState(V1_STATE)!;
  expect(s).toMatchObject({
    v: 3,
    op: 'UPDATE',
    part: 4,
    person_key: '9f2c4b7e1a3d5f60718293a4b5c6d7e8',
    parcours: [
      { valeur: 'INSCRIT', date: 19967 },
      { valeur: 'APPRENTI', date: 19998 },
      { valeur: 'RUPTURANT', date: 20150 },
    ],
    slots: 3,
    statut: 'RUPTURANT',
    t: 20200,
    alerts: ['a1b2c3'],
  });
  expect(s.rec).toMatchObject({
    commune: '69123',
    entree: 19967,
    fin: 20697,
    age_entree: 18,
    libelle: 'CAP CUISINE',
    identite: 'c2VhbGVk',
  });
  const added = Object.fromEntries(
    DIMENSION_KEYS.filter((k) => !(k in V1_DIMS)).map((k) => [k, NO_DIMENSIONS[k]]),
  );
  expect(s.rec!.dims).toEqual({ ...V1_DIMS, ...added });
  expect(Object.keys(s.rec!.dims)).toEqual([...DIMENSION_KEYS]);
});

test('a format-2 state written with 17 dimensions reads the same, dimensions added since at their defaults', () => {
  const s = decodeState(V2_STATE_17)!;
  expect(s).toEqual(decodeState(V1_STATE));
  expect(Object.keys(s.rec!.dims)).toEqual([...DIMENSION_KEYS]);
});

test('re-encoded, a state is written in the current format and reads back the same', () => {
  const s = decodeState(V1_STATE)!;
  const text = encodeState(s);
  expect(JSON.parse(text)[0]).toBe(2);
  expect(decodeState(text)).toEqual(s);
});

test('format 1’s dimensions are the start of the descriptor list (new dimensions are appended)', () => {
  expect(DIMENSION_KEYS.slice(0, V1_DIMENSIONS.length)).toEqual([...V1_DIMENSIONS]);
});

test('a format-2 state written with fewer dimensions reads the missing ones as their defaults', () => {
  const s = decodeState(V1_STATE)!;
  const e = JSON.parse(encodeState(s));
  const last = DIMENSION_KEYS.at(-1)!;
  e[5][0].pop();
  expect(decodeState(JSON.stringify(e))!.rec!.dims).toEqual({ ...s.rec!.dims, [last]: NO_DIMENSIONS[last] });
});

test('unreadable states are refused, never read with shifted or dropped values', () => {
  const e = JSON.parse(encodeState(decodeState(V1_STATE)!));
  e[5][0].push('from a newer processor');
  expect(() => decodeState(JSON.stringify(e))).toThrow(/written by a newer processor/);
  const v1 = JSON.parse(V1_STATE);
  v1[5][0].pop();
  expect(() => decodeState(JSON.stringify(v1))).toThrow(/16 dimensions in format 1/);
  expect(() => decodeState(V1_STATE.replace('[1,', '[9,'))).toThrow(/unknown learner state format/);
});

test('a state without a record image (never valid) has no dimensions to read', () => {
  const s: LearnerState = {
    v: 1,
    op: 'CREATE',
    part: 0,
    person_key: null,
    rec: null,
    parcours: null,
    slots: 0,
    statut: null,
    t: 0,
    alerts: [],
  };
  expect(decodeState(encodeState(s))).toEqual(s);
});
