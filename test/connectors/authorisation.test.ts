/**
 * What an API key may write (issue 11, finding 1), on the real Kafka, Redis and registry: a key
 * writes the records whose formateur is its own organisation, or whose formateur is attached to
 * it (as responsable) in the relations referential (TDB_RELATIONS_ORGANISMES_CSV); anything else
 * is refused with ORGANISME_NON_AUTORISE naming the field, on the push API (403, nothing ingested)
 * and on uploads (the row rejected). The review's attack (key A re-sending B's learner with
 * another name and an invented contract) is replayed and changes nothing of B's record.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openJson } from '../../infra/crypto';
import { writeRefusal } from '../../connectors/core/authorisation';
import { loadRelations, NO_RELATIONS } from '../../streams/referentiels/relations';
import { ReferentialError } from '../../streams/referentiels/organismes';
import type { TestPlatform } from '../support/platform';
import {
  collectTopics,
  dossier,
  ORG_A,
  ORG_B,
  send,
  startIngestionBench,
  topicSize,
  type Decoded,
} from './support';
import fs from 'node:fs';
import os from 'node:os';

jest.setTimeout(120_000);

const RELATIONS = path.join(__dirname, 'fixtures', 'relations-organismes.csv');
/** A real organisation attached to ORG_A in the fixture (ORG_A is its responsable). */
const ORG_C = { uai: '0010878Z', siret: '77933350900031' };

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let keyA: string;
let keyB: string;
let topics: Awaited<ReturnType<typeof collectTopics>>;

const push = (key: string, body: unknown) =>
  send(base, '/api/v3/dossiers-apprenants', { authorization: `Bearer ${key}`, json: body });

function upload(key: string, rows: Record<string, unknown>[], filename: string) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const text = [columns.join(';'), ...rows.map((r) => columns.map((c) => String(r[c] ?? '')).join(';'))].join(
    '\r\n',
  );
  const form = new FormData();
  form.append('fichier', new Blob([Buffer.from(text)]), filename);
  return send(base, '/api/v1/televersements', { authorization: `Bearer ${key}`, form });
}

/** An item with the given responsable and formateur pairs (each `[uai, siret]`). */
const item = (id: string, responsable: [string, string], formateur: [string, string], o = {}) =>
  dossier({
    id_erp_apprenant: id,
    etablissement_responsable_uai: responsable[0],
    etablissement_responsable_siret: responsable[1],
    etablissement_formateur_uai: formateur[0],
    etablissement_formateur_siret: formateur[1],
    ...o,
  });

const A: [string, string] = [ORG_A.uai, ORG_A.siret];
const B: [string, string] = [ORG_B.uai, ORG_B.siret];
const C: [string, string] = [ORG_C.uai, ORG_C.siret];

/**
 * Every combination, with the expected outcome for key A: null (accepted) or the field named by
 * ORG_A's refusal.
 */
const CASES: {
  name: string;
  responsable: [string, string];
  formateur: [string, string];
  refused: string | null;
}[] = [
  { name: 'own / own', responsable: A, formateur: A, refused: null },
  { name: 'own responsable, attached formateur', responsable: A, formateur: C, refused: null },
  {
    name: 'own responsable, foreign formateur without relation',
    responsable: A,
    formateur: B,
    refused: 'etablissement_formateur_uai',
  },
  { name: 'foreign responsable, own formateur', responsable: B, formateur: A, refused: null },
  {
    name: 'foreign responsable, attached formateur',
    responsable: B,
    formateur: C,
    refused: 'etablissement_responsable_uai',
  },
  {
    name: "formateur: B's UAI with A's SIRET",
    responsable: A,
    formateur: [ORG_B.uai, ORG_A.siret],
    refused: 'etablissement_formateur_uai',
  },
  {
    name: "formateur: A's UAI with B's SIRET",
    responsable: A,
    formateur: [ORG_A.uai, ORG_B.siret],
    refused: 'etablissement_formateur_siret',
  },
  {
    name: "formateur: C's UAI with A's SIRET (not the attached pair)",
    responsable: A,
    formateur: [ORG_C.uai, ORG_A.siret],
    refused: 'etablissement_formateur_uai',
  },
  {
    name: "responsable: A's UAI with B's SIRET, attached formateur",
    responsable: [ORG_A.uai, ORG_B.siret],
    formateur: C,
    refused: 'etablissement_responsable_siret',
  },
  {
    name: 'case and spacing variants of A and C',
    responsable: [' 0010070w ', '439 371 121 00013'],
    formateur: ['0010878z', '779.333.509.00031'],
    refused: null,
  },
  {
    name: 'case and spacing variants of B',
    responsable: ['0010070w', '43937112100013'],
    formateur: [' 0010099c', '779 310 028 00013 '],
    refused: 'etablissement_formateur_uai',
  },
];

beforeAll(async () => {
  ({
    platform,
    app,
    base,
    keys: [keyA, keyB],
  } = await startIngestionBench({ TDB_RELATIONS_ORGANISMES_CSV: RELATIONS }, [ORG_A, ORG_B]));
  topics = await collectTopics(platform.ctx, ['changes', 'deadLetter']);
});

afterAll(async () => {
  await topics?.stop();
  await app?.close();
  await platform?.cleanup();
});

describe('the relations referential', () => {
  test('the fixture: identifiers normalised, a row with a wrong check letter skipped', () => {
    const r = loadRelations(RELATIONS);
    expect([r.size, r.skipped]).toEqual([2, 1]);
    expect(r.isAttached(ORG_A, ORG_C)).toBe(true);
    expect(r.isAttached(ORG_C, ORG_A)).toBe(false); // a relation has a direction
    expect(
      r.isAttached(
        { uai: '0011058V', siret: '77937827200016' },
        { uai: '0011294B', siret: '38206764300017' },
      ),
    ).toBe(true);
    expect(r.formateursOf(ORG_A)).toEqual([ORG_C]);
  });

  test('a file without the columns is refused, naming the column', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-relations-'));
    const file = path.join(dir, 'r.csv');
    fs.writeFileSync(file, 'uai;siret\n0010070W;43937112100013\n');
    expect(() => loadRelations(file)).toThrow(ReferentialError);
    expect(() => loadRelations(file)).toThrow(/missing column "uai_responsable"/);
  });

  test('the rule, pure: every case of the matrix, and nothing attached without the referential', () => {
    const relations = loadRelations(RELATIONS);
    const norm = (p: [string, string]) => ({
      uai: p[0].replace(/\s+/g, '').toUpperCase(),
      siret: p[1].replace(/[\s.]/g, ''),
    });
    for (const c of CASES) {
      const refusal = writeRefusal(ORG_A, norm(c.formateur), norm(c.responsable), relations);
      expect([c.name, refusal?.path ?? null]).toEqual([c.name, c.refused]);
      if (refusal) expect(refusal.code).toBe('ORGANISME_NON_AUTORISE');
    }
    expect(writeRefusal(ORG_A, ORG_C, ORG_A, NO_RELATIONS)?.path).toBe('etablissement_formateur_uai');
  });
});

describe('push API: every combination', () => {
  test.each(CASES)('$name', async (c) => {
    const id = `AUTH-${CASES.indexOf(c)}`;
    const res = await push(keyA, [item(id, c.responsable, c.formateur)]);
    if (c.refused === null) {
      expect(res.statusCode).toBe(200);
      expect(res.json().data[0].validation_errors).toEqual([]);
      const formateurUai = c.formateur[0].trim().toUpperCase();
      const [ev] = await topics.waitKey('changes', `${formateurUai}:2024-2025:${id}`, 1);
      expect(ev!.value.operation).toBe('CREATE');
    } else {
      expect(res.statusCode).toBe(403);
      const body = res.json();
      expect(body).toMatchObject({
        status: 'ERROR',
        code: 'ORGANISME_NON_AUTORISE',
        elements: [0],
        champ: c.refused,
      });
      expect(body.message).toContain(`élément 1 (data[0]), ${c.refused} : `);
      expect(body.message).toMatch(/rien de cet envoi n'a été enregistré$/);
    }
  });

  test('one refused item refuses the whole request: nothing of it is ingested', async () => {
    const before = await topicSize(platform.ctx, 'changes');
    const res = await push(keyA, [item('AUTH-ALL-1', A, A), item('AUTH-ALL-2', A, B)]);
    expect(res.statusCode).toBe(403);
    expect(res.json().elements).toEqual([1]);
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
  });
});

describe('uploads: every combination, row by row', () => {
  test('each row accepted or rejected with ORGANISME_NON_AUTORISE naming the field', async () => {
    const rows = CASES.map((c, i) => item(`UPAUTH-${i}`, c.responsable, c.formateur));
    const res = await upload(keyA, rows, 'relations.csv');
    expect(res.statusCode).toBe(200);
    const rapport = res.json().rapport as { statut: string; validation_errors: Decoded[] }[];
    expect(
      rapport.map((r, i) => [
        CASES[i]!.name,
        r.statut,
        r.validation_errors.map((e) => `${e.code}:${e.path}`),
      ]),
    ).toEqual(
      CASES.map((c) => [
        c.name,
        c.refused === null ? 'cree' : 'rejete',
        c.refused === null ? [] : [`ORGANISME_NON_AUTORISE:${c.refused}`],
      ]),
    );
    // Each refused row is in the dead-letter topic with its error, filed under the sender.
    const refusedIndex = CASES.findIndex((c) => c.refused === 'etablissement_formateur_uai');
    const dead = await topics.waitKey('deadLetter', `${ORG_B.uai}:2024-2025:UPAUTH-${refusedIndex}`, 1);
    expect(dead[0]!.value).toMatchObject({
      organisme_uai: ORG_A.uai,
      errors: [
        expect.objectContaining({ code: 'ORGANISME_NON_AUTORISE', path: 'etablissement_formateur_uai' }),
      ],
    });
  });
});

describe('uploads large enough for the worker threads', () => {
  test('the relations are read by the ingestion workers too: 70 attached rows accepted, a foreign one rejected', async () => {
    // 64 items and more are normalised on worker threads (core/pipeline.ts SMALL_TASK): each loads
    // the relations referential from the configuration.
    const rows = Array.from({ length: 70 }, (_, i) => item(`WORKER-C-${i}`, A, C));
    rows.push(item('WORKER-B', A, B));
    const res = await upload(keyA, rows, 'gros.csv');
    const body = res.json();
    expect([body.lignes, body.crees, body.rejetes]).toEqual([71, 70, 1]);
    expect(body.rapport[70].validation_errors).toEqual([
      expect.objectContaining({ code: 'ORGANISME_NON_AUTORISE', path: 'etablissement_formateur_uai' }),
    ]);
  });
});

describe("the review's attack: key A re-sends B's learner", () => {
  test("another name, another end date, an invented second contract: refused, B's record unchanged", async () => {
    // B's ruptured learner, sent by B.
    const original = item('B-VICTIME', B, B, {
      nom_apprenant: 'Bernard',
      contrat_date_rupture: '2025-01-10',
    });
    expect((await push(keyB, [original])).statusCode).toBe(200);
    const victim = `${ORG_B.uai}:2024-2025:B-VICTIME`;
    await topics.waitKey('changes', victim, 1);

    const before = await topicSize(platform.ctx, 'changes');
    const forged = item('B-VICTIME', A, B, {
      nom_apprenant: 'Usurpé',
      date_fin_formation: '2025-02-01',
      contrat_date_rupture: '2025-01-10',
      contrat_date_debut_2: '2025-01-20',
      contrat_date_fin_2: '2026-06-30',
      siret_employeur_2: '44306184100047',
    });
    const pushed = await push(keyA, [forged]);
    expect(pushed.statusCode).toBe(403);
    expect(pushed.json()).toMatchObject({
      code: 'ORGANISME_NON_AUTORISE',
      champ: 'etablissement_formateur_uai',
    });
    const uploaded = await upload(keyA, [forged], 'usurpation.csv');
    expect(uploaded.json().rapport[0]).toMatchObject({
      statut: 'rejete',
      validation_errors: [expect.objectContaining({ code: 'ORGANISME_NON_AUTORISE' })],
    });

    // Both replies come after the broker's acknowledgement: nothing was written to `changes`.
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
    const events = topics.messages.changes!.filter((m) => m.key === victim);
    expect(events).toHaveLength(1);
    const after = events[0]!.value.after as Decoded;
    expect(after.contrats).toHaveLength(1);
    expect(openJson<Decoded>(platform.ctx.secrets.dataKey, after.identite_chiffree).nom).toBe('Bernard');
  });
});
