/** DSFR tables (the markup of @gouvfr/dsfr 1.12+): a caption, scoped headers, numbers right-aligned. */
import { html, nothing, type TemplateResult } from 'lit-html';
import { cell, COUNTER_LABELS, COUNTERS, type Counts } from './format';

export interface Column<R> {
  label: string;
  /** Right-aligned number column. */
  numeric?: boolean;
  value(row: R): TemplateResult | string | number | null | typeof nothing;
}

export interface TableOptions<R> {
  id: string;
  caption: string;
  columns: readonly Column<R>[];
  rows: readonly R[];
  /** A last row in bold (totals). */
  total?: R;
  /** The first column is a row header (th scope=row). */
  rowHeader?: boolean;
  /** Extra attributes: a row's class and click handler (selection). */
  rowClass?(row: R): string;
  onRow?(row: R): void;
  /** Shown instead of an empty body. */
  empty?: string;
  /** Cells wrap their text (tables of sentences); numbers tables stay on one line. */
  multiline?: boolean;
  /** Caption visible (default) or only for screen readers. */
  hiddenCaption?: boolean;
}

export function table<R>(o: TableOptions<R>): TemplateResult {
  const line = (r: R, isTotal: boolean) =>
    html`<tr
      class=${`${isTotal ? 'tdb-total' : ''} ${o.rowClass?.(r) ?? ''}`.trim() || nothing}
      @click=${o.onRow ? () => o.onRow!(r) : nothing}
    >
      ${o.columns.map((c, i) =>
        i === 0 && o.rowHeader
          ? html`<th scope="row">${c.value(r)}</th>`
          : html`<td class=${c.numeric ? 'tdb-nombre' : nothing}>${c.value(r)}</td>`,
      )}
    </tr>`;
  return html`<div
    class=${`fr-table fr-table--bordered${o.multiline ? ' fr-table--multiline' : ''}`}
    id=${`${o.id}-composant`}
  >
    <div class="fr-table__wrapper">
      <div class="fr-table__container" tabindex="0" role="region" aria-label=${o.caption}>
        <div class="fr-table__content">
          <table id=${o.id}>
            <caption class=${o.hiddenCaption ? 'tdb-sr' : nothing}>
              ${o.caption}
            </caption>
            <thead>
              <tr>
                ${o.columns.map((c) => html`<th scope="col" class=${c.numeric ? 'tdb-nombre' : nothing}>${c.label}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${
                o.rows.length === 0 && o.empty
                  ? html`<tr>
                      <td colspan=${o.columns.length}>${o.empty}</td>
                    </tr>`
                  : o.rows.map((r) => line(r, false))
              }
              ${o.total ? line(o.total, true) : nothing}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  </div>`;
}

/** The five counter columns of an indicator row. */
export function counterColumns<R extends Counts>(): Column<R>[] {
  return COUNTERS.map((k) => ({ label: COUNTER_LABELS[k], numeric: true, value: (r: R) => cell(r[k]) }));
}

/** A DSFR alert. */
export function alert(
  kind: 'error' | 'info' | 'warning' | 'success',
  text: string,
  title?: string,
): TemplateResult {
  return html`<div
    class=${`fr-alert fr-alert--${kind} fr-mb-3w`}
    role=${kind === 'error' ? 'alert' : nothing}
  >
    ${title ? html`<h3 class="fr-alert__title">${title}</h3>` : nothing}
    <p>${text}</p>
  </div>`;
}
