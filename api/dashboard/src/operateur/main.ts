import { html } from 'lit-html';
import { show } from '../common/page';
show(html`<p>À venir</p>`);
