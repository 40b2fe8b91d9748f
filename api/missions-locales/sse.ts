/**
 * GET /api/v1/missions-locales/{id}/alertes/flux: a Mission Locale's journal (a Redis Stream per
 * Mission Locale, written by the alert inbox) as Server-Sent Events.
 *
 * - `id:` is the stream entry id ("<ms>-<seq>"), increasing per Mission Locale; with the
 *   `Last-Event-ID` header (or `?last_event_id=`) a client gets exactly the entries after it
 *   (XRANGE with an exclusive start): nothing lost, nothing twice, whichever API process answers.
 *   Without it, only the events after the connection (load the list first and pass its
 *   `dernier_evenement` to miss nothing in between). An id beyond 64 bits per part is a 400 (before
 *   the stream opens: an EventSource does not retry it); an id after the journal's last entry
 *   resumes from that entry, announced by a `reinitialisation` event (a forged id, or a journal
 *   deleted since: nothing would ever come after it).
 * - New entries are pushed within milliseconds: one pub/sub subscriber per API process wakes the
 *   connections of the Mission Locale; each heartbeat also re-reads (a missed notification costs at
 *   most one heartbeat interval).
 * - Every batch of events disclosing alerts is written to the access log before it is sent; an
 *   event whose alert was deleted since carries `alerte: null`.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../infra/context';
import type { Redis } from '../../infra/redis/client';
import { isoFromDay } from '../../streams/status/calendar';
import { presentAlert } from '../../streams/alert-inbox/present';
import { compareEventIds, type AlertStore, type JournalEntry } from '../../streams/alert-inbox/store';
import type { WebhookPayload } from '../../streams/alert-inbox/webhooks';
import { logNominativeAccess } from '../apprenants/access-log';
import { badField } from '../errors';
import { EVENT_ID } from './schemas';

/** Per API process: the pub/sub subscriber and the open streams (ended when the app closes). */
export class JournalHub {
  private sub: Redis | undefined;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly ctx: Context) {}

  /** Calls `wake` whenever Mission Locale `ml`'s journal gets entries; returns the unsubscribe. */
  listen(ml: string, wake: () => void): () => void {
    if (!this.sub) {
      this.sub = this.ctx.redis.duplicate();
      this.sub.on('message', (_channel: string, id: string) => {
        for (const fn of this.listeners.get(id) ?? []) fn();
      });
      void this.sub.subscribe(this.ctx.keys.ml.notifications);
    }
    let set = this.listeners.get(ml);
    if (!set) this.listeners.set(ml, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.listeners.delete(ml);
    };
  }

  track(res: ServerResponse): () => void {
    this.open.add(res);
    return () => this.open.delete(res);
  }

  /** Ends every open stream (before the server closes: it waits for open connections). */
  endAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }

  async close(): Promise<void> {
    this.endAll();
    await this.sub?.quit().catch(() => undefined);
    this.sub = undefined;
  }
}

/** The largest part of a Redis stream entry id (64 bits unsigned). */
const MAX_ID_PART = 2n ** 64n - 1n;

/**
 * The Last-Event-ID of a request (header first), checked; undefined when absent. 400 naming
 * `last_event_id` when it is not `<millisecondes>-<séquence>` or a part is beyond 64 bits (no
 * stream entry can have it: Redis refuses it, and the stream would close at once).
 */
export function lastEventIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const raw =
    (Array.isArray(header) ? header[0] : header) ??
    (request.query as { last_event_id?: string }).last_event_id;
  if (raw === undefined || raw === '') return undefined;
  if (!EVENT_ID.test(raw))
    throw badField('last_event_id', 'identifiant d’événement attendu (<millisecondes>-<séquence>)');
  if (raw.split('-').some((part) => BigInt(part) > MAX_ID_PART))
    throw badField(
      'last_event_id',
      `identifiant d’événement hors limites : chaque partie est au plus ${MAX_ID_PART} (reçu : ${raw})`,
    );
  return raw;
}

export interface StreamDeps {
  ctx: Context;
  store: AlertStore;
  hub: JournalHub;
  heartbeatMs: number;
  log: FastifyBaseLogger;
}

/** Serves the stream of Mission Locale `ml` (after the guard). */
export async function serveFlux(
  deps: StreamDeps,
  ml: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { ctx, store, hub } = deps;
  const resume = lastEventIdOf(request);
  const last = await store.lastEventId(ml);
  // An id after the journal's last entry was never sent by this journal (forged, or a journal
  // deleted since): nothing would ever come after it. Resume from the end, and say so.
  const ahead = resume !== undefined && compareEventIds(resume, last) > 0;
  let cursor = ahead ? last : (resume ?? last);
  const gap = resume !== undefined && !ahead && (await store.journalGap(ml, resume));

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    // Nominative events: no cache may keep them (api/plugins/no-store.ts); no proxy may buffer them.
    'cache-control': 'no-store, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  const write = (chunk: string) =>
    new Promise<void>((resolve) => {
      if (closed || res.write(chunk)) return resolve();
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  await write(`retry: 2000\n: flux des alertes de ${ml}\n\n`);
  if (ahead)
    await write(
      `event: reinitialisation\ndata: ${JSON.stringify({
        raison:
          'identifiant postérieur au dernier événement du journal : reprise à la fin du journal ; recharger la liste des alertes',
        last_event_id: resume,
        reprise_apres: last,
      })}\n\n`,
    );
  if (gap)
    await write(
      `event: reinitialisation\ndata: ${JSON.stringify({
        raison: 'journal tronqué après cet identifiant : recharger la liste des alertes',
        last_event_id: resume,
      })}\n\n`,
    );

  let busy = false;
  let again = false;
  /** Sends every entry after the cursor; one at a time per connection (no duplicates, in order). */
  async function pump(): Promise<void> {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        for (;;) {
          if (closed) return;
          const entries = await store.readAfter(ml, cursor, 100);
          if (entries.length === 0) break;
          await send(entries);
          cursor = entries[entries.length - 1]!.id;
        }
      } while (again && !closed);
    } catch (err) {
      // The client resumes from its last id: end the stream rather than skip anything.
      deps.log.error({ err: (err as Error).message, ml }, 'SSE stream error');
      res.end();
    } finally {
      busy = false;
    }
  }

  async function send(entries: JournalEntry[]): Promise<void> {
    const today = ctx.clock.today();
    const env = { dataKey: ctx.secrets.dataKey, today, organismes: ctx.organismes };
    const events: WebhookPayload[] = [];
    let unreadable = 0;
    for (const e of entries) {
      const stored = await store.get(e.alerte);
      const shown = stored ? presentAlert(stored, env) : null;
      if (shown?.unreadable) unreadable++;
      events.push({
        evenement_id: e.id,
        type: e.type,
        mission_locale_id: ml,
        alerte_id: e.alerte,
        alerte: shown?.vue ?? null,
      });
    }
    if (unreadable > 0)
      deps.log.warn({ unreadable, ml }, 'alert contacts that cannot be decrypted with the data key');
    const disclosed = events.filter((e) => e.alerte !== null).length;
    if (disclosed > 0)
      await logNominativeAccess(ctx.clickhouse, {
        principal: request.principal,
        requestId: request.id,
        route: request.routeOptions.url ?? '/api/v1/missions-locales/:id/alertes/flux',
        parametres: {
          mission_locale: ml,
          apres: cursor,
          jusqu_a: entries[entries.length - 1]!.id,
          evenements: events.length,
        },
        dateReference: isoFromDay(today),
        lignes: disclosed,
        at: ctx.clock.now(),
      });
    let chunk = '';
    for (const e of events)
      chunk += `id: ${e.evenement_id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    await write(chunk);
  }

  const stopListening = hub.listen(ml, () => void pump());
  const untrack = hub.track(res);
  const heartbeat = setInterval(() => {
    void write(': ping\n\n');
    void pump();
  }, deps.heartbeatMs);
  res.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
    stopListening();
    untrack();
  });
  await pump();
}
