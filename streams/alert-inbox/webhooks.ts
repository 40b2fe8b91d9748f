/**
 * Webhooks of the Missions Locales: each event of a Mission Locale's journal (new alert, closure,
 * follow-up) POSTed to the URL it registered, in journal order, signed, retried with exponential
 * backoff, every attempt written to a delivery log.
 *
 * Signature (README.md): header `X-TDB-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<body>")>`; the receiver recomputes it with its secret over the raw body, compares in
 * constant time and refuses a `t` more than 5 minutes away from its clock. `X-TDB-Evenement` is
 * the journal event id (the same id as the SSE stream): receivers de-duplicate on it (delivery is
 * at least once).
 *
 * One dispatcher holds a Mission Locale's webhook at a time (a Redis lock with expiry), so two
 * `tdb alertes run` processes never deliver the same event twice concurrently.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Context } from '../../infra/context';
import { sealJson } from '../../infra/crypto';
import { logger } from '../../infra/log';
import type { Redis } from '../../infra/redis/client';
import { isoFromDay } from '../status/calendar';
import { logDisclosure } from './disclosures';
import { openOrNull, presentAlert, type AlerteVue } from './present';
import type { AlertStore, JournalEntry, MlKeys } from './store';

export const SIGNATURE_HEADER = 'x-tdb-signature';
export const EVENT_HEADER = 'x-tdb-evenement';
/** A signature older (or newer) than this is refused by `verifySignature`. */
export const SIGNATURE_TOLERANCE_S = 300;
/** Longest wait between two attempts. */
export const MAX_BACKOFF_MS = 3_600_000;
const DELIVERY_LOG_MAX = 2_000;
const LOCK_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** `t=<seconds>,v1=<hex>` over `${t}.${body}`. */
export function signPayload(secret: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

/** What a receiver does: true when the header signs this raw body with this secret, recently enough. */
export function verifySignature(secret: string, header: string, body: string, nowS: number): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > SIGNATURE_TOLERANCE_S) return false;
  const expected = Buffer.from(signPayload(secret, t, body).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

/** Delay before attempt n+1 after n failures: base × 2^(n−1), at most MAX_BACKOFF_MS. */
export function backoffMs(baseMs: number, failures: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, failures - 1));
}

export interface WebhookConfig {
  url: string;
  secret: string;
  created_at: string;
  par: string;
}

/** A URL a webhook may use: https, or http to a loopback host (development and tests). */
export function checkWebhookUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`url : "${raw}" n'est pas une URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new Error('url : https attendu (http seulement vers 127.0.0.1/localhost)');
  return u.toString();
}

export function webhookAdmin(redis: Redis, keys: MlKeys, dataKey: Buffer) {
  return {
    /**
     * Registers (or replaces) the webhook of Mission Locale `ml` with a new secret, returned once
     * (stored sealed with the data key). Delivery starts with the events after this moment.
     */
    async set(
      ml: string,
      rawUrl: string,
      par: string,
      nowMs: number,
    ): Promise<{ url: string; secret: string }> {
      const url = checkWebhookUrl(rawUrl);
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const last = await redis.xrevrange(keys.flux(ml), '+', '-', 'COUNT', 1);
      await redis
        .multi()
        .hset(keys.webhook(ml), {
          url,
          secret: sealJson(dataKey, secret).toString('base64'),
          created_at: new Date(nowMs).toISOString(),
          par,
        })
        .set(keys.webhookCurseur(ml), last[0]?.[0] ?? '0-0')
        .sadd(keys.webhooks, ml)
        .exec();
      return { url, secret };
    },
    async get(ml: string): Promise<WebhookConfig | null> {
      const h = await redis.hgetall(keys.webhook(ml));
      if (!h.url) return null;
      const secret = openOrNull<string>(dataKey, Buffer.from(h.secret ?? '', 'base64'));
      if (secret === null) throw new Error(`webhook ${ml} : secret illisible avec la clé de données`);
      return { url: h.url, secret, created_at: h.created_at ?? '', par: h.par ?? '' };
    },
    async remove(ml: string): Promise<boolean> {
      const n = await redis.del(keys.webhook(ml), keys.webhookCurseur(ml));
      await redis.srem(keys.webhooks, ml);
      return n > 0;
    },
    /** The delivery log, newest first. */
    async deliveries(ml: string, count = 100): Promise<Delivery[]> {
      const rows = await redis.xrevrange(keys.webhookLivraisons(ml), '+', '-', 'COUNT', count);
      return rows.map(([id, fields]) => {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        return {
          id,
          at: f.at ?? '',
          evenement: f.evenement ?? '',
          type: f.type ?? '',
          alerte: f.alerte ?? '',
          tentative: Number(f.tentative ?? 0),
          statut: (f.statut ?? 'echec') as Delivery['statut'],
          http: f.http ? Number(f.http) : null,
          erreur: f.erreur || null,
          duree_ms: Number(f.duree_ms ?? 0),
          prochaine_tentative: f.prochaine || null,
        };
      });
    },
  };
}

/** One attempt in the delivery log. */
export interface Delivery {
  /** Log entry id. */
  id: string;
  /** ISO instant of the attempt (real clock). */
  at: string;
  /** Journal event id delivered. */
  evenement: string;
  type: string;
  alerte: string;
  /** 1 for the first attempt. */
  tentative: number;
  /** livree (2xx), echec (will retry), abandonnee (last attempt failed: moved on). */
  statut: 'livree' | 'echec' | 'abandonnee';
  http: number | null;
  erreur: string | null;
  duree_ms: number;
  /** ISO instant of the next attempt after a failure. */
  prochaine_tentative: string | null;
}

/** The body POSTed for one journal event. */
export interface WebhookPayload {
  evenement_id: string;
  type: JournalEntry['type'];
  mission_locale_id: string;
  alerte_id: string;
  /** The alert as an advisor sees it now (null when it was deleted since). */
  alerte: AlerteVue | null;
}

export interface DispatcherOptions {
  backoffMs: number;
  maxAttempts: number;
  /** How often every webhook is looked at even without a notification (ms). */
  pollMs?: number;
}

export interface Dispatcher {
  stop(): Promise<void>;
}

/**
 * Delivers the journals of every Mission Locale with a webhook. Woken by the store's pub/sub
 * notifications, and every `pollMs` (retries, missed notifications).
 */
export function startWebhookDispatcher(ctx: Context, store: AlertStore, opts: DispatcherOptions): Dispatcher {
  const log = logger('webhooks');
  const keys = ctx.keys.ml;
  const admin = webhookAdmin(ctx.redis, keys, ctx.secrets.dataKey);
  const me = randomUUID();
  /** Per Mission Locale: the event being retried, its failures, when to try again (ms). */
  const retries = new Map<string, { evenement: string; failures: number; nextAt: number }>();
  const running = new Set<string>();
  let stopped = false;
  const sub = ctx.redis.duplicate();
  const pollMs = opts.pollMs ?? 1_000;

  async function lock(ml: string): Promise<boolean> {
    const ok = await ctx.redis.set(keys.webhookVerrou(ml), me, 'PX', LOCK_MS, 'NX');
    if (ok === 'OK') return true;
    if ((await ctx.redis.get(keys.webhookVerrou(ml))) !== me) return false;
    await ctx.redis.pexpire(keys.webhookVerrou(ml), LOCK_MS);
    return true;
  }
  async function unlock(ml: string): Promise<void> {
    await ctx.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      keys.webhookVerrou(ml),
      me,
    );
  }

  async function logAttempt(ml: string, fields: Record<string, string | number>): Promise<void> {
    await ctx.redis.xadd(
      keys.webhookLivraisons(ml),
      'MAXLEN',
      '~',
      DELIVERY_LOG_MAX,
      '*',
      ...Object.entries(fields).flatMap(([k, v]) => [k, String(v)]),
    );
  }

  /** Delivers one event; true when delivered (or given up), false to wait for a retry. */
  async function deliver(ml: string, url: string, secret: string, e: JournalEntry): Promise<boolean> {
    const stored = await store.get(e.alerte);
    const today = ctx.clock.today();
    const vue = stored
      ? presentAlert(stored, { dataKey: ctx.secrets.dataKey, today, organismes: ctx.organismes }).vue
      : null;
    const payload: WebhookPayload = {
      evenement_id: e.id,
      type: e.type,
      mission_locale_id: ml,
      alerte_id: e.alerte,
      alerte: vue,
    };
    const body = JSON.stringify(payload);
    const prev = retries.get(ml);
    const failures = prev && prev.evenement === e.id ? prev.failures : 0;
    const started = Date.now();
    let http: number | null = null;
    let erreur = '';
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tdb-alertes/1',
          [EVENT_HEADER]: e.id,
          [SIGNATURE_HEADER]: signPayload(secret, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'manual',
      });
      http = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) erreur = `HTTP ${res.status}`;
    } catch (err) {
      erreur = (err as Error).name === 'TimeoutError' ? 'délai dépassé' : (err as Error).message;
    }
    const base = {
      at: new Date().toISOString(),
      evenement: e.id,
      type: e.type,
      alerte: e.alerte,
      tentative: failures + 1,
      http: http ?? '',
      duree_ms: Date.now() - started,
    };
    if (!erreur) {
      if (vue)
        await logDisclosure(ctx.clickhouse, {
          at: ctx.clock.now(),
          requestId: e.id,
          missionLocale: ml,
          sujet: `webhook:${new URL(url).host}`,
          route: 'webhook',
          parametres: { evenement: e.id, type: e.type },
          dateReference: isoFromDay(today),
          lignes: 1,
        });
      await logAttempt(ml, { ...base, statut: 'livree', erreur: '' });
      retries.delete(ml);
      return true;
    }
    if (failures + 1 >= opts.maxAttempts) {
      await logAttempt(ml, { ...base, statut: 'abandonnee', erreur });
      log.warn({ ml, evenement: e.id, tentatives: failures + 1, erreur }, 'webhook delivery given up');
      retries.delete(ml);
      return true;
    }
    const wait = backoffMs(opts.backoffMs, failures + 1);
    retries.set(ml, { evenement: e.id, failures: failures + 1, nextAt: Date.now() + wait });
    await logAttempt(ml, {
      ...base,
      statut: 'echec',
      erreur,
      prochaine: new Date(Date.now() + wait).toISOString(),
    });
    return false;
  }

  async function drain(ml: string): Promise<void> {
    const r = retries.get(ml);
    if (r && Date.now() < r.nextAt) return;
    const cfg = await admin.get(ml);
    if (!cfg || !(await lock(ml))) return;
    try {
      let cursor = (await ctx.redis.get(keys.webhookCurseur(ml))) ?? '0-0';
      while (!stopped) {
        const entries = await store.readAfter(ml, cursor, 50);
        if (entries.length === 0) return;
        for (const e of entries) {
          if (!(await deliver(ml, cfg.url, cfg.secret, e))) return;
          cursor = e.id;
          await ctx.redis.set(keys.webhookCurseur(ml), cursor);
        }
        await lock(ml);
      }
    } finally {
      await unlock(ml);
    }
  }

  function wake(ml: string): void {
    if (stopped || running.has(ml)) return;
    running.add(ml);
    drain(ml)
      .catch((err: Error) => log.error({ ml, err: err.message }, 'webhook dispatcher error'))
      .finally(() => running.delete(ml));
  }
  async function wakeAll(): Promise<void> {
    for (const ml of await ctx.redis.smembers(keys.webhooks)) wake(ml);
  }

  sub.on('message', (_channel: string, ml: string) => wake(ml));
  void sub.subscribe(keys.notifications);
  const timer = setInterval(() => void wakeAll().catch(() => undefined), pollMs);
  void wakeAll();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + REQUEST_TIMEOUT_MS + 1_000;
      while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await sub.quit().catch(() => undefined);
    },
  };
}
