/** What every page shares: the platform's date, the mount point, a live region for announcements. */
import { render, type TemplateResult } from 'lit-html';
import { todayParis } from './format';

/** "Today" of the platform (its clock, TDB_CLOCK), written into the page by api/dashboard/plugin.ts. */
export function platformToday(): string {
  const meta = document.querySelector('meta[name="tdb-date"]')?.getAttribute('content');
  return meta && /^\d{4}-\d{2}-\d{2}$/.test(meta) ? meta : todayParis();
}

const app = () => document.getElementById('app')!;

/** Renders the page's content; `busy` sets aria-busy (and data-etat for tests and benchmarks). */
export function show(t: TemplateResult, state: 'chargement' | 'pret' | 'erreur' = 'pret'): void {
  const el = app();
  // The static "Chargement…" of the HTML goes at the first render (lit-html appends otherwise).
  if (!el.dataset.etat) el.textContent = '';
  render(t, el);
  el.setAttribute('aria-busy', state === 'chargement' ? 'true' : 'false');
  el.dataset.etat = state;
  // When the numbers are first shown (read by bench/dashboard.bench.ts: first meaningful paint).
  if (state === 'pret' && performance.getEntriesByName('tdb-pret').length === 0) performance.mark('tdb-pret');
}

let live: HTMLElement | undefined;
/** Says something to screen readers (polite live region). */
export function announce(text: string): void {
  if (!live) {
    live = document.createElement('p');
    live.className = 'tdb-sr';
    live.setAttribute('aria-live', 'polite');
    live.id = 'annonces';
    document.body.append(live);
  }
  live.textContent = text;
}
