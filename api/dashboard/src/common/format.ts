/** Numbers, dates and hidden counts as the pages show them (French conventions). */
import { html, type TemplateResult } from 'lit-html';

const nf = new Intl.NumberFormat('fr-FR');
const pf = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1, signDisplay: 'exceptZero' });

/** The five published counters, in the order of the pages and the API (api/secrecy COUNT_FIELDS). */
export const COUNTERS = ['apprenants', 'apprentis', 'inscrits', 'rupturants', 'abandons'] as const;
export type Counter = (typeof COUNTERS)[number];

export const COUNTER_LABELS: Record<Counter, string> = {
  apprenants: 'Apprenants',
  apprentis: 'Apprentis',
  inscrits: 'Inscrits sans contrat',
  rupturants: 'Rupturants',
  abandons: 'Abandons',
};

export const COUNTER_HELP: Record<Counter, string> = {
  apprenants: 'apprentis, inscrits sans contrat et rupturants',
  apprentis: 'en contrat d’apprentissage (ou en fin de formation)',
  inscrits: 'inscrits en formation, sans contrat',
  rupturants: 'contrat rompu, encore en formation',
  abandons: 'sortis de formation sans diplôme',
};

/** A published row: counts (null when hidden by statistical secrecy) and the hidden fields. */
export type Counts = Record<Counter, number | null> & { masque: string[] };

export const ND_TITLE =
  'non diffusé : secret statistique (effectif de 1 à 4, ou masqué pour qu’on ne puisse pas le recalculer)';

export const nombre = (n: number): string => nf.format(n);

/** A count, or "n.d." (with its explanation) when the API hides it. */
export function cell(n: number | null | undefined): TemplateResult | string {
  if (n === null || n === undefined) return html`<abbr class="tdb-nd" title=${ND_TITLE}>n.d.</abbr>`;
  return nombre(n);
}

/** The same as text (CSV-like contexts, aria labels). */
export const cellText = (n: number | null | undefined): string =>
  n === null || n === undefined ? 'n.d. (secret statistique)' : nombre(n);

/** "+3,2 %" of b relative to a; null when either is unknown or a is 0. */
export function evolution(now: number | null, before: number | null): string | null {
  if (now === null || before === null || before === 0) return null;
  return `${pf.format(((now - before) / before) * 100)} %`;
}

const df = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const dtf = new Intl.DateTimeFormat('fr-FR', {
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/Paris',
});
const mf = new Intl.DateTimeFormat('fr-FR', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "15 mars 2025" of an AAAA-MM-JJ day. */
export const jour = (iso: string | null | undefined): string =>
  iso ? df.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)) : '—';
/** "15/03/2025 14:02" of an instant (Europe/Paris). */
export const instant = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  // ClickHouse DateTime "2025-03-15 13:02:00" is UTC.
  const d = new Date(/T/.test(iso) ? iso : `${iso.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? iso : dtf.format(d);
};
/** "mars 2025" of an AAAA-MM-JJ day. */
export const mois = (iso: string): string => mf.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`));

/** AAAA-MM-JJ of `iso` shifted by whole years (29 February → 28). */
export function yearsBefore(iso: string, years: number): string {
  const y = Number(iso.slice(0, 4)) - years;
  const md = iso.slice(5) === '02-29' ? '02-28' : iso.slice(5);
  return `${String(y).padStart(4, '0')}-${md}`;
}

/** AAAA-MM-JJ of `iso` shifted by whole months (day clamped to the month's length). */
export function monthsBefore(iso: string, months: number): string {
  const y = Number(iso.slice(0, 4));
  const m = Number(iso.slice(5, 7)) - 1 - months;
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(Number(iso.slice(8, 10)), last);
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Today in Europe/Paris, AAAA-MM-JJ (the API's default date is the platform clock's). */
export function todayParis(): string {
  return new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris' }).format(new Date());
}
