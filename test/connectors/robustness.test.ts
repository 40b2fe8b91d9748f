/**
 * Inputs that used to break the push API, on the real Kafka, Redis and registry (isolated
 * namespace): an oversized rejected item (the broker refused the request, then every later request
 * of the process with OUT_OF_ORDER_SEQUENCE_NUMBER), thousands of rejected items in one call,
 * a failed send (the producer must be replaced), values nested 5,000 levels deep, NUL bytes and
 * lone surrogates, out-of-range dates; and the warnings that now reach the ERP.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { openJson } from '../../infra/crypto';
import { keyPartition, type Message } from '../../infra/kafka/client';
import { messageBytes } from '../../connectors/core/send-plan';
import { createPipeline, TransmissionError, type Pipeline } from '../../connectors/core/pipeline';
import { connectorRoutes } from '../../connectors/http';
import { eventually, type TestPlatform } from '../support/platform';
import {
  collectTopics,
  dossier,
  ofB,
  ORG_A,
  ORG_B,
  send,
  startIngestionBench,
  topicSize,
  type Decoded,
} from './support';

jest.setTimeout(180_000);

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let keyA: string;
let keyB: string;
let topics: Awaited<ReturnType<typeof collectTopics>>;

const push = (key: string, body: unknown, url = base) =>
  send(url, '/api/v3/dossiers-apprenants', { authorization: `Bearer ${key}`, json: body });
const recordKey = (id: string, org = ORG_A) => `${org.uai}:2024-2025:${id}`;
/** The dead-letter record of a location, once it arrived. */
const deadAt = async (location: string) =>
  (
    await eventually(
      async () => topics.messages.deadLetter!.filter((m) => m.value.location === location),
      (m) => m.length > 0,
    )
  ).at(-1)!;

beforeAll(async () => {
  ({
    platform,
    app,
    base,
    keys: [keyA, keyB],
  } = await startIngestionBench({}, [ORG_A, ORG_B]));
  topics = await collectTopics(platform.ctx, ['changes', 'deadLetter', 'transmissions']);
});

afterAll(async () => {
  await topics?.stop();
  await app?.close();
  await platform?.cleanup();
});

describe('an oversized rejected item no longer breaks the push API', () => {
  test('20 valid items + 1 item without required fields and 1.2 MB of unknown field: 200; the big one DOSSIER_TROP_VOLUMINEUX with a small dead-letter copy; later pushes of others work', async () => {
    const items: Record<string, unknown>[] = Array.from({ length: 20 }, (_, i) =>
      dossier({ id_erp_apprenant: `BIG-${i}` }),
    );
    items.push({ extra: 'x'.repeat(1_200_000) });
    const res = await push(keyA, items);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.detail).toBe('Some data are invalid');
    expect(body.data.slice(0, 20).map((d: Decoded) => d.validation_errors)).toEqual(
      items.slice(0, 20).map(() => []),
    );
    expect(body.data[20].validation_errors).toEqual([
      {
        code: 'DOSSIER_TROP_VOLUMINEUX',
        path: '(dossier)',
        message:
          'dossier trop volumineux : 1 200 012 octets en JSON, 64 Kio (65 536 octets) au plus ; le champ le plus long est extra',
      },
    ]);
    const created = await eventually(
      async () => topics.messages.changes!.filter((m) => /:BIG-\d+$/.test(m.key)),
      (m) => m.length === 20,
    );
    expect(created.map((m) => m.value.operation)).toEqual(Array(20).fill('CREATE'));

    // The dead-letter record: errors in clear, a truncated copy of the input (far below 1 MiB).
    const dead = await deadAt('élément 21');
    expect(dead.value.errors).toEqual([expect.objectContaining({ code: 'DOSSIER_TROP_VOLUMINEUX' })]);
    expect((dead.value.input_chiffre as Buffer).length).toBeLessThan(70_000);
    expect(openJson(platform.ctx.secrets.dataKey, dead.value.input_chiffre as Buffer)).toEqual({
      $tronque: { octets: 1_200_012, limite: 65_536 },
      apercu: { extra: `${'x'.repeat(1000)}…` },
    });

    // The process keeps working, for this organisation and the others.
    const other = await push(keyB, [ofB('AFTER-BIG')]);
    expect(other.statusCode).toBe(200);
    expect(other.json().data[0].validation_errors).toEqual([]);
    expect(await topics.waitKey('changes', recordKey('AFTER-BIG', ORG_B), 1)).toHaveLength(1);
  });

  test('a 1 MB nom_apprenant: the item is rejected, the others of the call accepted', async () => {
    const res = await push(keyA, [
      dossier({ id_erp_apprenant: 'NOM-1', nom_apprenant: 'N'.repeat(1_000_000) }),
      dossier({ id_erp_apprenant: 'NOM-2' }),
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json().data.map((d: Decoded) => d.validation_errors.map((e: Decoded) => e.code))).toEqual([
      ['DOSSIER_TROP_VOLUMINEUX'],
      [],
    ]);
    expect(await topics.waitKey('changes', recordKey('NOM-2'), 1)).toHaveLength(1);
    const dead = await deadAt('élément 1');
    // The name is personal: even the truncated copy is only in the sealed input, never in clear.
    expect(JSON.stringify(dead.value.errors)).not.toMatch(/NNNN/);
  });

  test('2,000 invalid items with ~4 KB of unknown fields each (8 MB body): 200, all rejected, all in the dead-letter topic', async () => {
    const before = await topicSize(platform.ctx, 'deadLetter');
    const items = Array.from({ length: 2000 }, (_, i) => ({
      id_erp_apprenant: `BULK-${i}`,
      commentaire: 'c'.repeat(4000),
    }));
    const res = await push(keyA, items);
    expect(res.statusCode).toBe(200);
    const data = res.json().data as Decoded[];
    expect(data).toHaveLength(2000);
    expect(data.every((d) => d.validation_errors.some((e: Decoded) => e.code === 'CHAMP_REQUIS'))).toBe(true);
    expect(
      await eventually(
        () => topicSize(platform.ctx, 'deadLetter'),
        (n) => n >= before + 2000,
      ),
    ).toBe(before + 2000);
    // And the next call works.
    expect((await push(keyA, [dossier({ id_erp_apprenant: 'AFTER-BULK' })])).statusCode).toBe(200);
    // The requests were cut per partition with the partition set by the plan: every record is in
    // the partition of its key, as if kafkajs had chosen it (murmur2).
    const dead = await eventually(
      async () => topics.messages.deadLetter!,
      (m) => m.length >= before + 2000,
    );
    const partitions = platform.config.TDB_TOPIC_PARTITIONS;
    expect(dead.filter((m) => m.partition !== keyPartition(m.key, partitions))).toEqual([]);
  });

  test('the pipeline cuts such a group into several requests, every partition under 900 KiB per request, in order', async () => {
    const requests: { topic: string; messages: readonly Message[] }[][] = [];
    const pipeline = createPipeline(platform.ctx, { workers: 0, onSend: (r) => void requests.push([...r]) });
    try {
      const items = Array.from({ length: 2000 }, (_, i) => ({
        input: { id_erp_apprenant: `PLAN-${i}`, commentaire: 'c'.repeat(4000) },
        location: `élément ${i + 1}`,
      }));
      const r = await pipeline.ingest({ connector: 'test-plan', organisme: ORG_A, items });
      expect(r.items.every((o) => o.status === 'rejete')).toBe(true);
    } finally {
      await pipeline.close();
    }
    expect(requests.length).toBeGreaterThan(1);
    const partitions = platform.config.TDB_TOPIC_PARTITIONS;
    for (const request of requests) {
      const perPartition = new Map<string, number>();
      for (const b of request)
        for (const m of b.messages) {
          const slot = `${b.topic}/${keyPartition(m.key as string, partitions)}`;
          perPartition.set(slot, (perPartition.get(slot) ?? 0) + messageBytes(m));
        }
      expect(Math.max(...perPartition.values())).toBeLessThanOrEqual(900 * 1024);
    }
    // Every dead-letter record, in item order, then the report.
    const dead = requests.flatMap((r) => r.filter((b) => b.topic === platform.ctx.topics.deadLetter));
    expect(dead.reduce((n, b) => n + b.messages.length, 0)).toBe(2000);
    expect(requests.at(-1)!.map((b) => b.topic)).toContain(platform.ctx.topics.transmissions);
  });

  test('an uploaded CSV of 1.5 MB with one oversized row: that row rejected, the others accepted', async () => {
    const columns = [
      'id_erp_apprenant',
      ...Object.keys(dossier()).filter((c) => c !== 'id_erp_apprenant'),
      'adresse_apprenant',
    ];
    const rows = [1, 2, 3].map((i) => {
      const d = dossier({
        id_erp_apprenant: `CSV-${i}`,
        adresse_apprenant: i === 2 ? 'a'.repeat(1_500_000) : '1 rue X',
      });
      return columns.map((c) => String(d[c] ?? '')).join(';');
    });
    const bytes = Buffer.from([columns.join(';'), ...rows].join('\n'), 'utf8');
    expect(bytes.length).toBeGreaterThan(1_500_000);
    const form = new FormData();
    form.append('fichier', new Blob([bytes]), 'gros.csv');
    const res = await send(base, '/api/v1/televersements', { authorization: `Bearer ${keyA}`, form });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ lignes: 3, acceptes: 2, rejetes: 1 });
    expect(res.json().rapport[1].validation_errors).toEqual([
      expect.objectContaining({ code: 'DOSSIER_TROP_VOLUMINEUX' }),
    ]);
    expect(await topics.waitKey('changes', recordKey('CSV-3'), 1)).toHaveLength(1);
  });
});

describe('after a failed send, the producer is replaced and the next ingestion succeeds', () => {
  /** A pipeline whose limits let a 1.2 MB dead-letter record reach the broker, which refuses it. */
  let fragile: Pipeline;
  let mini: FastifyInstance;
  let miniBase: string;
  beforeAll(async () => {
    fragile = createPipeline(platform.ctx, {
      workers: 0,
      limits: {
        itemBytes: 4 * 1024 * 1024,
        deadLetterInputBytes: 4 * 1024 * 1024,
        requestPartitionBytes: 16 * 1024 * 1024,
        messageBytes: 16 * 1024 * 1024,
      },
    });
    mini = Fastify({ logger: false });
    mini.decorate('ctx', platform.ctx);
    await mini.register(connectorRoutes, { pipeline: fragile });
    miniBase = await mini.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await mini?.close();
    await fragile?.close();
  });
  const tooBig = () => [
    ...Array.from({ length: 20 }, (_, i) => dossier({ id_erp_apprenant: `FRAG-${i}` })),
    { extra: 'x'.repeat(1_200_000) },
  ];

  test('the pipeline: the refused transmission fails with TransmissionError, the next one is written', async () => {
    const items = tooBig().map((input, i) => ({ input, location: `élément ${i + 1}` }));
    await expect(fragile.ingest({ connector: 'test', items })).rejects.toThrow(TransmissionError);
    const ok = await fragile.ingest({
      connector: 'test',
      items: [{ input: dossier({ id_erp_apprenant: 'RECOVERED-1' }), location: 'élément 1' }],
    });
    expect(ok.items[0]!.status).toBe('cree');
    expect(await topics.waitKey('changes', recordKey('RECOVERED-1'), 1)).toHaveLength(1);
  });

  test('the push API: 503 in French without Kafka internals, then 200 for the next call', async () => {
    const res = await push(keyA, tooBig(), miniBase);
    expect(res.statusCode).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(res.json()).toEqual({
      status: 'ERROR',
      code: 'TRANSMISSION_INDISPONIBLE',
      message:
        "transmission momentanément impossible, réessayez dans 10 secondes : rien de cet envoi n'a été enregistré",
    });
    const next = await push(keyB, [ofB('RECOVERED-2')], miniBase);
    expect(next.statusCode).toBe(200);
    expect(next.json().data[0].validation_errors).toEqual([]);
    expect(await topics.waitKey('changes', recordKey('RECOVERED-2', ORG_B), 1)).toHaveLength(1);
  });
});

describe('a message over the size limit is caught before the send', () => {
  test('its item is rejected (DOSSIER_TROP_VOLUMINEUX), counted as rejected, in the dead-letter topic; the others are written', async () => {
    const pipeline = createPipeline(platform.ctx, { workers: 0, limits: { messageBytes: 2500 } });
    try {
      const long = (c: string) => c.repeat(1000);
      const r = await pipeline.ingest({
        connector: 'test-size',
        organisme: ORG_A,
        items: [
          { input: dossier({ id_erp_apprenant: 'SIZE-1' }), location: 'élément 1' },
          {
            input: dossier({
              id_erp_apprenant: 'SIZE-2',
              adresse_apprenant: long('a'),
              libelle_court_formation: long('l'),
              cause_exclusion_formation: long('c'),
              custom_statut_apprenant: long('s'),
            }),
            location: 'élément 2',
          },
        ],
      });
      expect(r.items.map((o) => o.status)).toEqual(['cree', 'rejete']);
      expect(r.items[1]!.errors).toEqual([
        {
          code: 'DOSSIER_TROP_VOLUMINEUX',
          path: '(dossier)',
          message: expect.stringMatching(
            /^dossier trop volumineux : son événement ferait [\d ]+ octets, 2 500 au plus$/,
          ),
        },
      ]);
      expect(r.reports).toEqual([
        expect.objectContaining({ recus: 2, acceptes: 1, rejetes: 1, crees: 1, modifies: 0 }),
      ]);
      const dead = await eventually(
        async () => topics.messages.deadLetter!.filter((m) => m.key === recordKey('SIZE-2')),
        (m) => m.length > 0,
      );
      expect(openJson(platform.ctx.secrets.dataKey, dead[0]!.value.input_chiffre as Buffer)).toEqual({
        $tronque: { octets: null, limite: 0 },
      });
      expect(await topics.waitKey('changes', recordKey('SIZE-1'), 1)).toHaveLength(1);
      // Its state was not written: sent again within the limit, it is a creation.
      const again = await pipeline.ingest({
        connector: 'test-size',
        items: [{ input: dossier({ id_erp_apprenant: 'SIZE-2' }), location: 'élément 1' }],
      });
      expect(again.items[0]).toMatchObject({ status: 'cree', version: 1 });
    } finally {
      await pipeline.close();
    }
    // Only the second, small version was ever produced for SIZE-2.
    const size2 = await topics.waitKey('changes', recordKey('SIZE-2'), 1);
    expect(size2.map((m) => m.value.version)).toEqual([1]);
  });
});

describe('values nested deeper than the flat items of the contract', () => {
  const nested = (depth: number) => {
    let v: unknown = 'x';
    for (let i = 0; i < depth; i++) v = { niveau: v };
    return v;
  };

  test('push API: 400 naming the item and the field, before anything is ingested (no "Maximum call stack size exceeded")', async () => {
    const before = await topicSize(platform.ctx, 'changes');
    const deadBefore = await topicSize(platform.ctx, 'deadLetter');
    // Written by hand: JSON.stringify itself cannot write 5,000 levels in a test's stack.
    const deep = `${'{"niveau":'.repeat(5000)}"x"${'}'.repeat(5000)}`;
    const text = `[${JSON.stringify(dossier({ id_erp_apprenant: 'DEEP-1' }))},${JSON.stringify(
      dossier({ id_erp_apprenant: 'DEEP-2' }),
    ).slice(0, -1)},"meta":${deep}}]`;
    const res = await fetch(`${base}/api/v3/dossiers-apprenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: text,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'ERROR',
      code: 'VALEUR_TROP_IMBRIQUEE',
      message:
        'élément 2 (data[1]), champ meta : valeur imbriquée sur plus de 2 niveaux ; un dossier du contrat v3 est un objet plat (texte, nombre, booléen ou null par champ)',
      elements: [1],
    });
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
    expect(await topicSize(platform.ctx, 'deadLetter')).toBe(deadBefore);
    // Two levels (an unknown field holding a flat object) are accepted and echoed.
    const flat = await push(keyA, [{ ...dossier({ id_erp_apprenant: 'DEEP-3' }), meta: { source: 'erp' } }]);
    expect(flat.statusCode).toBe(200);
    expect(flat.json().data[0]).toMatchObject({ meta: { source: 'erp' }, validation_errors: [] });
  });

  test('other connectors (the pipeline itself): VALEUR_NON_SCALAIRE, the item in the dead-letter topic', async () => {
    const pipeline = createPipeline(platform.ctx, { workers: 0 });
    try {
      const r = await pipeline.ingest({
        connector: 'test-deep',
        items: [
          {
            input: { ...dossier({ id_erp_apprenant: 'DEEP-4' }), meta: nested(5000) },
            location: 'deep ligne 2',
          },
        ],
      });
      expect(r.items[0]).toMatchObject({
        status: 'rejete',
        errors: [expect.objectContaining({ code: 'VALEUR_NON_SCALAIRE', path: 'meta' })],
      });
      const dead = await deadAt('deep ligne 2');
      const kept = openJson<Decoded>(platform.ctx.secrets.dataKey, dead.value.input_chiffre as Buffer);
      expect(kept.$tronque).toEqual({ octets: null, limite: 65_536 });
      expect(kept.apercu).toMatchObject({ id_erp_apprenant: 'DEEP-4', meta: '[objet omis]' });
    } finally {
      await pipeline.close();
    }
  });
});

describe('characters, dates and warnings', () => {
  test('NUL bytes and lone surrogates: CARACTERES_INVALIDES naming the field; no record key with a NUL', async () => {
    const res = await push(keyA, [
      dossier({ id_erp_apprenant: 'NUL\u0000-1', nom_apprenant: 'Du\u0000pont' }),
      dossier({ id_erp_apprenant: 'SURR-1', prenom_apprenant: 'L\ud800a' }),
    ]);
    expect(res.statusCode).toBe(200);
    const data = res.json().data as Decoded[];
    expect(data[0]!.validation_errors.map((e: Decoded) => `${e.code}@${e.path}`)).toEqual([
      'CARACTERES_INVALIDES@nom_apprenant',
      'CARACTERES_INVALIDES@id_erp_apprenant',
    ]);
    expect(data[1]!.validation_errors.map((e: Decoded) => `${e.code}@${e.path}`)).toEqual([
      'CARACTERES_INVALIDES@prenom_apprenant',
    ]);
    const dead = await eventually(
      async () =>
        topics.messages.deadLetter!.filter((m) =>
          /CARACTERES_INVALIDES/.test(JSON.stringify(m.value.errors)),
        ),
      (m) => m.length >= 2,
    );
    expect(dead.some((m) => m.key.includes('\u0000'))).toBe(false);
    expect(dead.find((m) => m.value.location === 'élément 2')!.key).toBe(recordKey('SURR-1'));
  });

  test('a training date of 1900: DATE_HORS_LIMITES at once (no longer accepted, then dropped by the processor)', async () => {
    const res = await push(keyA, [
      dossier({ id_erp_apprenant: 'OLD-1', date_entree_formation: '1900-01-01' }),
    ]);
    expect(res.json().data[0].validation_errors).toEqual([
      {
        code: 'DATE_HORS_LIMITES',
        path: 'date_entree_formation',
        message:
          "date_entree_formation : 1900-01-01 est hors des limites acceptées (du 1990-01-01 au 2100-12-31) ; vérifiez l'année",
      },
    ]);
  });

  test('warnings reach the ERP: warnings: [{code, path, message}] per item', async () => {
    const res = await push(keyA, [
      dossier({ id_erp_apprenant: 'WARN-1', tel_apprenant: '12', date_de_naissance_apprenant: '2015-01-01' }),
      dossier({ id_erp_apprenant: 'WARN-2' }),
    ]);
    expect(res.statusCode).toBe(200);
    const [w1, w2] = res.json().data as Decoded[];
    expect(w1!.validation_errors).toEqual([]);
    expect(w1!.warnings.map((w: Decoded) => `${w.code}@${w.path}`).sort()).toEqual([
      'AGE_INHABITUEL@date_de_naissance_apprenant',
      'TELEPHONE_INVALIDE@tel_apprenant',
    ]);
    expect(w1!.warnings[0].message).toEqual(expect.any(String));
    expect(w2!.warnings).toEqual([]);
  });
});
