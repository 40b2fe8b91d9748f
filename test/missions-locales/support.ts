/** Helpers of the Mission Locale tests: DropoutAlert / transition values, Kafka production, tokens, an SSE client. */
import { signToken, type TokenRequest } from '../../api/auth/tokens';
import type { Context } from '../../infra/context';
import { createIdempotentProducer, type Producer } from '../../infra/kafka/client';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import { identiteApprenant, sealIdentite, type IdentiteApprenant } from '../../schemas/identite';
import { alertId } from '../../streams/alerts/rules';
import { dayFromIso } from '../../streams/status/calendar';
import { transitionId } from '../../streams/processor/learner';

/** A real organisation of shared/data/organismes.csv. */
export const ORG = { uai: '0010070W', siret: '43937112100013' };
export const PARIS = { id: 'ML-75-PARIS', nom: 'Mission Locale de Paris' };
export const LYON = { id: 'ML-69-LYON', nom: 'Mission Locale de Lyon' };

/** The contact the processor seals into an alert: fields of the identity (streams/alerts/rules.ts contactOf). */
export type Contact = Partial<IdentiteApprenant>;

let seq = 0;
/** A DropoutAlert as the processor emits it (override anything; `contact` is sealed with `dataKey`). */
export function makeAlert(
  dataKey: Buffer,
  o: Partial<Omit<DropoutAlert, 'contact_chiffre'>> & { contact?: Contact; depuisIso?: string } = {},
): DropoutAlert {
  seq++;
  const { contact, depuisIso, ...rest } = o;
  const record_key = rest.record_key ?? `${ORG.uai}:2024-2025:T${seq}-${Date.now()}`;
  const motif = rest.motif ?? 'RUPTURE';
  const depuis = rest.depuis ?? dayFromIso(depuisIso ?? '2025-03-01');
  return {
    alert_id: alertId(record_key, motif, depuis),
    record_key,
    person_key: null,
    mission_locale_id: PARIS.id,
    mission_locale_nom: PARIS.nom,
    motif,
    statut: motif === 'RUPTURE' ? 'RUPTURANT' : motif === 'ABANDON' ? 'ABANDON' : 'INSCRIT',
    depuis,
    rqth: false,
    mineur: false,
    rupture_recente: motif === 'RUPTURE',
    age: 19,
    code_commune_insee: '75056',
    departement: '75',
    formation_cfd: '50022106',
    libelle_court_formation: 'CAP CUISINE',
    organisme_uai: ORG.uai,
    organisme_siret: ORG.siret,
    created_at: Date.parse('2025-03-15T11:00:00Z'),
    ...rest,
    contact_chiffre: sealIdentite(
      dataKey,
      identiteApprenant({
        nom: 'Martin',
        prenom: `Jeune${seq}`,
        date_de_naissance: '2005-06-20',
        tel_apprenant: '+33612345678',
        email_contact: `jeune${seq}@example.org`,
        ...contact,
      }),
    ),
  };
}

/** A LearnerStatusTransition as the processor emits it. */
export function makeTransition(
  o: Partial<LearnerStatusTransition> & Pick<LearnerStatusTransition, 'record_key' | 'to' | 'effective_date'>,
): LearnerStatusTransition {
  const from = o.from ?? 'RUPTURANT';
  return {
    event_id: transitionId(o.record_key, from, o.to, o.effective_date),
    person_key: null,
    version: 2,
    from,
    cause: 'NEW_DATA',
    detected_at: Date.parse('2025-03-15T11:00:00Z'),
    organisme_uai: ORG.uai,
    organisme_siret: ORG.siret,
    ...o,
  };
}

/** Produces Avro values to a topic role (keyed by record key, like the processor). */
export async function produce(
  ctx: Context,
  role: 'alerts' | 'transitions',
  values: (DropoutAlert | LearnerStatusTransition)[],
  producer?: Producer,
): Promise<void> {
  const codec = await ctx.codec();
  const p = producer ?? createIdempotentProducer(ctx.kafka);
  if (!producer) await p.connect();
  try {
    await p.send({
      topic: ctx.topics[role],
      acks: -1,
      messages: await Promise.all(
        values.map(async (v) => ({ key: v.record_key, value: await codec.encode(role, v) })),
      ),
    });
  } finally {
    if (!producer) await p.disconnect();
  }
}

/** A signed token of the platform. */
export function token(ctx: Context, req: Omit<TokenRequest, 'sub'> & { sub?: string }): string {
  return signToken(
    ctx.secrets.tokenSecret,
    { sub: `test-${req.role}`, ...req },
    ctx.territoires,
    ctx.clock.now(),
  );
}
export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

export interface Answer {
  status: number;
  headers: Headers;
  buffer: Buffer;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

/** One HTTP request on a listening server. */
export async function http(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, {
    method: init.method ?? 'GET',
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
  });
  const buffer = Buffer.from(await r.arrayBuffer());
  const text = buffer.toString('utf8');
  return { status: r.status, headers: r.headers, buffer, text, json: () => JSON.parse(text) };
}

export interface SseEvent {
  id?: string;
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

export interface SseClient {
  status: Promise<number>;
  headers: Promise<Headers>;
  events: SseEvent[];
  /** Comment lines received (heartbeats). */
  comments(): number;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A Server-Sent Events client over fetch (a real HTTP connection), parsing events as they come. */
export function openSse(url: string, headers: Record<string, string> = {}): SseClient {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let comments = 0;
  let resolveStatus: (n: number) => void = () => undefined;
  let resolveHeaders: (h: Headers) => void = () => undefined;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const hdrs = new Promise<Headers>((r) => (resolveHeaders = r));
  const ended = (async () => {
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...headers },
        signal: controller.signal,
      });
      resolveStatus(res.status);
      resolveHeaders(res.headers);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const ev: Partial<SseEvent> & { dataLines: string[] } = { dataLines: [] };
          let onlyComments = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              comments++;
              continue;
            }
            const m = /^(id|event|data): (.*)$/.exec(line);
            if (!m) continue;
            onlyComments = false;
            if (m[1] === 'id') ev.id = m[2];
            else if (m[1] === 'event') ev.event = m[2];
            else ev.dataLines.push(m[2]!);
          }
          if (!onlyComments && ev.dataLines.length > 0)
            events.push({
              id: ev.id,
              event: ev.event ?? 'message',
              data: JSON.parse(ev.dataLines.join('\n')),
            });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      resolveStatus(0);
    }
  })();
  return { status, headers: hdrs, events, comments: () => comments, ended, close: () => controller.abort() };
}
