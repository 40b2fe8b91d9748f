/**
 * The Mission Locale alert store, in Redis (layout and reasons: README.md). Writers are the
 * alert-inbox consumer (new alerts, closing transitions, sweeps) and the API (the advisors'
 * follow-up); every multi-key change is one Lua script (scripts.ts), so that they never interleave.
 * Contact details stay sealed here (AES-256-GCM, infra/crypto.ts): this module never opens them.
 */
import type { Redis } from '../../infra/redis/client';
import { redisKeys } from '../../infra/redis/client';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import { calendarDayOfInstant } from '../status/calendar';
import {
  alertData,
  closureOf,
  expired,
  orderScore,
  priorityScore,
  supersededBy,
  type AlertData,
  type EtatAlerte,
  type Fermeture,
  type HistoryEntry,
  type Situation,
  type Suivi,
} from './model';
import { CLOSE_ONE, DELETE, INGEST, SUIVI, TRANSITION } from './scripts';

export type MlKeys = ReturnType<typeof redisKeys>['ml'];

const DAY_MS = 86_400_000;
/** Entries kept per Mission Locale journal (~ a few weeks of alerts for the largest one). */
export const JOURNAL_MAX = 20_000;
/** How long a record's closing transition is remembered for alerts that arrive after it (seconds). */
export const CLOSING_TRANSITION_TTL_S = 7 * 86_400;
/** Tombstones of deleted alerts outlive the alerts topic's retention (365 days). */
export const TOMBSTONE_DAYS = 400;

/** One stored alert, as read back. */
export interface StoredAlert {
  data: AlertData;
  /** contact_chiffre as received: the sealed contact subset of the identity (schemas/identite.ts). */
  contact: Buffer;
  etat: EtatAlerte;
  suivi: Suivi | null;
  /** sealJson(dataKey, comment) of the current follow-up, or null. */
  commentaire: Buffer | null;
  fermeture: Fermeture | null;
  score: number;
}

/** What the list needs to filter and count: small hash fields only (no JSON of the alert, no contact). */
export interface AlertSummary {
  id: string;
  motif: DropoutAlert['motif'];
  rqth: boolean;
  mineur: boolean;
  rupture_recente: boolean;
  /** Epoch ms the alert was emitted. */
  created_at: number;
  etat: EtatAlerte;
  situation: Situation;
  fermeture: Fermeture['code'] | null;
}

export interface ListFilter {
  etat: EtatAlerte | 'toutes';
  priorite?: 'prioritaire' | 'non_prioritaire' | 'rqth' | 'mineur' | 'rupture_recente';
  motif?: DropoutAlert['motif'];
  situation?: Situation;
  /** Alerts emitted on or after this day (day number, Europe/Paris). */
  depuisJour?: number;
}

export interface JournalEntry {
  /** Stream entry id: the SSE event id. */
  id: string;
  type: 'alerte' | 'fermeture' | 'suivi';
  alerte: string;
}

export type IngestResult = 'nouvelle' | 'fermee' | 'doublon';

type ScriptName = 'tdbMlIngest' | 'tdbMlTransition' | 'tdbMlSuivi' | 'tdbMlClose' | 'tdbMlDelete';
type Scripted = Redis & Record<ScriptName, (...args: (string | Buffer | number)[]) => Promise<number>>;

function withScripts(redis: Redis): Scripted {
  const scripts: Record<ScriptName, string> = {
    tdbMlIngest: INGEST,
    tdbMlTransition: TRANSITION,
    tdbMlSuivi: SUIVI,
    tdbMlClose: CLOSE_ONE,
    tdbMlDelete: DELETE,
  };
  for (const [name, lua] of Object.entries(scripts))
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  return redis as Scripted;
}

const json = (v: unknown) => JSON.stringify(v);

/** Reads a line of resume:<ml> ("motif|prio|ts|etat|situation|closure code"; scripts.ts RESUME). */
export function parseSummary(id: string, line: string): AlertSummary {
  const [motif, prio, ts, etat, situation, fcode] = line.split('|');
  const p = Number(prio);
  return {
    id,
    motif: motif as AlertSummary['motif'],
    rqth: (p & 4) !== 0,
    mineur: (p & 2) !== 0,
    rupture_recente: (p & 1) !== 0,
    created_at: Number(ts),
    etat: etat as EtatAlerte,
    situation: (situation || 'a_contacter') as Situation,
    fermeture: (fcode || null) as Fermeture['code'] | null,
  };
}

/** The first instant (epoch ms) of a calendar day in Europe/Paris (UTC+1 or UTC+2). */
export function startOfParisDay(day: number): number {
  const utcMidnight = day * DAY_MS;
  return calendarDayOfInstant(utcMidnight - 2 * 3_600_000) >= day
    ? utcMidnight - 2 * 3_600_000
    : utcMidnight - 3_600_000;
}

function matcher(f: ListFilter): (s: AlertSummary) => boolean {
  const from = f.depuisJour !== undefined ? startOfParisDay(f.depuisJour) : undefined;
  return (s) => {
    if (f.motif && s.motif !== f.motif) return false;
    if (f.situation && s.situation !== f.situation) return false;
    if (from !== undefined && s.created_at < from) return false;
    switch (f.priorite) {
      case 'prioritaire':
        return priorityScore(s) > 0;
      case 'non_prioritaire':
        return priorityScore(s) === 0;
      case 'rqth':
      case 'mineur':
      case 'rupture_recente':
        return s[f.priorite];
      default:
        return true;
    }
  };
}

const hasFilter = (f: ListFilter) =>
  f.priorite !== undefined ||
  f.motif !== undefined ||
  f.situation !== undefined ||
  f.depuisJour !== undefined;

/** Order of two stream entry ids ("<ms>-<seq>"): negative, zero or positive. */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = a.split('-').map((x) => BigInt(x || '0'));
  const [bm, bs] = b.split('-').map((x) => BigInt(x || '0'));
  if (am! !== bm!) return am! < bm! ? -1 : 1;
  return as! === bs! ? 0 : as! < bs! ? -1 : 1;
}

export function createAlertStore(redis: Redis, keys: MlKeys) {
  const r = withScripts(redis);
  const p = keys.prefix;

  /** Ids of one sorted set with their scores, highest first. */
  async function scored(key: string): Promise<[string, number][]> {
    const flat = await r.zrevrange(key, 0, -1, 'WITHSCORES');
    const out: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
    return out;
  }

  /** Ids of a Mission Locale's alerts in list order (score desc, then id desc as Redis does). */
  async function orderedIds(ml: string, etat: ListFilter['etat']): Promise<string[]> {
    if (etat !== 'toutes')
      return r.zrevrange(etat === 'ouverte' ? keys.ouvertes(ml) : keys.fermees(ml), 0, -1);
    const all = [...(await scored(keys.ouvertes(ml))), ...(await scored(keys.fermees(ml)))];
    all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
    return all.map(([id]) => id);
  }

  /** The Mission Locale's summaries by alert id (one HGETALL of resume:<ml>). */
  async function summaries(ml: string): Promise<Map<string, AlertSummary>> {
    const all = await r.hgetall(keys.resume(ml));
    const out = new Map<string, AlertSummary>();
    for (const [id, line] of Object.entries(all)) out.set(id, parseSummary(id, line));
    return out;
  }

  async function get(id: string): Promise<StoredAlert | null> {
    const h = await r.hgetallBuffer(keys.alerte(id));
    if (!h.d) return null;
    return {
      data: JSON.parse(h.d.toString('utf8')) as AlertData,
      contact: h.c ?? Buffer.alloc(0),
      etat: h.etat?.toString() as EtatAlerte,
      suivi: h.s ? (JSON.parse(h.s.toString('utf8')) as Suivi) : null,
      commentaire: h.sc && h.sc.length > 0 ? h.sc : null,
      fermeture: h.ferm ? (JSON.parse(h.ferm.toString('utf8')) as Fermeture) : null,
      score: Number(h.score?.toString() ?? 0),
    };
  }

  return {
    keys,

    /**
     * Stores a DropoutAlert (idempotent by alert_id: a redelivered or deleted alert changes
     * nothing), appends it to its Mission Locale's journal and notifies the API processes.
     */
    async ingest(a: DropoutAlert): Promise<IngestResult> {
      const data = alertData(a);
      const created: HistoryEntry = { type: 'creation', at: a.created_at, par: 'systeme' };
      const res = await r.tdbMlIngest(
        p,
        a.alert_id,
        json(data),
        Buffer.from(a.contact_chiffre),
        String(orderScore(a)),
        String(a.created_at),
        String(a.depuis),
        a.mission_locale_id,
        a.record_key,
        json(created),
        json(supersededBy(a)),
        JOURNAL_MAX,
        keys.notifications,
        a.motif,
        priorityScore(a),
      );
      return res === 0 ? 'doublon' : res === 2 ? 'fermee' : 'nouvelle';
    },

    /**
     * A learner's status transition: one to APPRENTI or FIN_DE_FORMATION closes the record's open
     * alerts it comes after (model.ts closesAlert) and is remembered for alerts still to come.
     * Other transitions change nothing. Returns the number of alerts closed.
     */
    async applyTransition(t: LearnerStatusTransition): Promise<number> {
      const ferm = closureOf(t);
      if (!ferm) return 0;
      return r.tdbMlTransition(
        p,
        t.record_key,
        String(t.detected_at),
        String(t.effective_date),
        json(ferm),
        CLOSING_TRANSITION_TTL_S,
        JOURNAL_MAX,
        keys.notifications,
      );
    },

    /**
     * Records an advisor's follow-up of alert `id` of Mission Locale `ml` (with its sealed comment).
     * Returns false when no such alert belongs to that Mission Locale.
     */
    async suivi(ml: string, id: string, s: Suivi, sealedComment: Buffer | null): Promise<boolean> {
      const entry: HistoryEntry = {
        type: 'suivi',
        at: s.at,
        par: s.par,
        role: s.role,
        situation: s.situation,
        commentaire: sealedComment ? sealedComment.toString('base64') : null,
      };
      const res = await r.tdbMlSuivi(
        p,
        id,
        ml,
        json(s),
        sealedComment ?? '',
        json(entry),
        JOURNAL_MAX,
        keys.notifications,
        s.situation,
      );
      return res === 1;
    },

    get,

    async history(id: string): Promise<HistoryEntry[]> {
      return (await r.lrange(keys.historique(id), 0, -1)).map((e) => JSON.parse(e) as HistoryEntry);
    },

    /**
     * One page of a Mission Locale's alerts in list order (most urgent, then most recent first),
     * with the total matching the filter. `limit` 0: every matching alert (exports).
     */
    async list(
      ml: string,
      f: ListFilter,
      offset: number,
      limit: number,
    ): Promise<{ total: number; alerts: StoredAlert[] }> {
      let total: number;
      let pageIds: string[];
      if (!hasFilter(f) && f.etat !== 'toutes') {
        const key = f.etat === 'ouverte' ? keys.ouvertes(ml) : keys.fermees(ml);
        total = await r.zcard(key);
        pageIds = await r.zrevrange(key, offset, limit === 0 ? -1 : offset + limit - 1);
      } else {
        const ids = await orderedIds(ml, f.etat);
        let kept = ids;
        if (hasFilter(f)) {
          const [byId, match] = [await summaries(ml), matcher(f)];
          kept = ids.filter((id) => {
            const s = byId.get(id);
            return s !== undefined && match(s);
          });
        }
        total = kept.length;
        pageIds = kept.slice(offset, limit === 0 ? undefined : offset + limit);
      }
      const alerts = (await Promise.all(pageIds.map((id) => get(id)))).filter(
        (a): a is StoredAlert => a !== null,
      );
      return { total, alerts };
    },

    /** Every alert of a Mission Locale (open and closed, still retained), without contacts: for counts. */
    async summariesOf(ml: string): Promise<AlertSummary[]> {
      return [...(await summaries(ml)).values()];
    },

    /** The journal's last entry id ('0-0' when empty): where a fresh reader starts. */
    async lastEventId(ml: string): Promise<string> {
      const last = await r.xrevrange(keys.flux(ml), '+', '-', 'COUNT', 1);
      return last[0]?.[0] ?? '0-0';
    },

    /** The journal's oldest entry id still kept, or null when empty. */
    async firstEventId(ml: string): Promise<string | null> {
      const first = await r.xrange(keys.flux(ml), '-', '+', 'COUNT', 1);
      return first[0]?.[0] ?? null;
    },

    /**
     * Whether entries after `afterId` may have been trimmed from the journal (MAXLEN): some entry
     * was removed and `afterId` is older than the oldest one kept. A reader resuming from there
     * must reload the list.
     */
    async journalGap(ml: string, afterId: string): Promise<boolean> {
      let info: unknown[];
      try {
        info = (await r.xinfo('STREAM', keys.flux(ml))) as unknown[];
      } catch {
        return false; // no journal yet
      }
      const f = new Map<string, unknown>();
      for (let i = 0; i < info.length; i += 2) f.set(String(info[i]), info[i + 1]);
      const trimmed = Number(f.get('entries-added') ?? 0) > Number(f.get('length') ?? 0);
      const first = (f.get('first-entry') as [string, unknown] | null)?.[0];
      return trimmed && first !== undefined && compareEventIds(afterId, first) < 0;
    },

    /** Journal entries strictly after `afterId`, oldest first. */
    async readAfter(ml: string, afterId: string, count = 200): Promise<JournalEntry[]> {
      const entries = await r.xrange(keys.flux(ml), `(${afterId}`, '+', 'COUNT', count);
      return entries.map(([id, fields]) => {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        return { id, type: f.type as JournalEntry['type'], alerte: f.alerte ?? '' };
      });
    },

    /** Mission Locale ids that have alerts. */
    async missionsLocales(): Promise<string[]> {
      return (await r.smembers(keys.missionsLocales)).sort();
    },

    /**
     * The retention sweep (GDPR): closes as expired the alerts open for more than `expirationJours`,
     * deletes the alerts closed for more than `retentionJours` (hash, history, set memberships; the id
     * stays as a tombstone for TOMBSTONE_DAYS). `nowMs`: the platform clock.
     */
    async purge(
      nowMs: number,
      retentionJours: number,
      expirationJours: number,
    ): Promise<{ expirees: number; supprimees: number }> {
      let expirees = 0;
      let supprimees = 0;
      const ferm = json(expired(nowMs, expirationJours));
      for (;;) {
        const ids = await r.zrangebyscore(
          keys.ouverturesGlobales,
          '-inf',
          nowMs - expirationJours * DAY_MS,
          'LIMIT',
          0,
          500,
        );
        if (ids.length === 0) break;
        for (const id of ids) {
          const n = await r.tdbMlClose(p, id, ferm, String(nowMs), JOURNAL_MAX, keys.notifications);
          if (n === 0) await r.zrem(keys.ouverturesGlobales, id); // not open any more
          expirees += n;
        }
      }
      for (;;) {
        const ids = await r.zrangebyscore(
          keys.fermetures,
          '-inf',
          nowMs - retentionJours * DAY_MS,
          'LIMIT',
          0,
          500,
        );
        if (ids.length === 0) break;
        for (const id of ids) supprimees += await r.tdbMlDelete(p, id, String(nowMs));
      }
      await r.zremrangebyscore(keys.supprimees, '-inf', nowMs - TOMBSTONE_DAYS * DAY_MS);
      return { expirees, supprimees };
    },
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;
