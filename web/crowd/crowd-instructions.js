/*
 * <crowd-instructions>: a link or button that opens instructions in a modal
 * with three tabs (spec crowd-elements.md §4.9): Summary (<short-summary>),
 * Detailed Instructions (<detailed-instructions>), Examples (every
 * <positive-example>, then every <negative-example>, marked good or bad).
 * Attributes: link-text (default "Click for instructions"), link-type
 * ("link" default | "button"). Regions stay in the light DOM (slot attribute).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const TABS = [['summary', 'Summary'], ['detailed', 'Detailed Instructions'], ['examples', 'Examples']];
  P.define('crowd-instructions', class CrowdInstructions extends P.CrowdElement {
    static get observedAttributes() { return ['link-text', 'link-type']; }
    constructor() {
      super();
      this._regionNames = ['short-summary', 'detailed-instructions', 'positive-example', 'negative-example'];
    }
    _render() {
      const text = this.getAttribute('link-text') || 'Click for instructions';
      const asButton = (this.getAttribute('link-type') || 'link').toLowerCase() === 'button';
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: block; margin: 8px 0 12px; }
          .trigger .icon { width: 18px; height: 18px; }
          .tablist { display: flex; gap: 4px; border-bottom: 1px solid var(--_border); margin: -4px 0 16px; overflow-x: auto; }
          .tab { border: 0; background: transparent; padding: 10px 14px; font-weight: 600; font-size: 14px; color: var(--_muted);
            cursor: pointer; border-bottom: 3px solid transparent; margin-bottom: -1px; white-space: nowrap; }
          .tab[aria-selected="true"] { color: var(--_primary); border-bottom-color: var(--_primary); }
          .examples { display: grid; gap: 12px; }
          .ex { border-radius: 8px; padding: 12px 14px; border: 1px solid; }
          .ex h3 { margin: 0 0 6px; font-size: 13px; letter-spacing: .05em; text-transform: uppercase; display: flex; align-items: center; gap: 6px; }
          .good { border-color: #b5dcc4; background: var(--_success-soft); } .good h3 { color: var(--_success); }
          .bad { border-color: #f2b8b2; background: var(--_danger-soft); } .bad h3 { color: var(--_danger); }
          ::slotted(positive-example), ::slotted(negative-example) { display: block; border-top: 1px dashed rgba(0,0,0,.12); padding-top: 8px; margin-top: 8px; }
          ::slotted(positive-example:first-of-type), ::slotted(negative-example:first-of-type) { border-top: 0; padding-top: 0; margin-top: 0; }
        </style>
        <button type="button" class="btn ${asButton ? '' : 'link'} trigger">${P.icon('info-outline')}${P.esc(text)}</button>
        ${P.modalHTML('instructions-dialog', 'Instructions', `
          <div class="tablist" role="tablist">${TABS.map(([id, label]) => `<button type="button" class="tab" role="tab" data-tab="${id}">${label}</button>`).join('')}</div>
          <section data-panel="summary" role="tabpanel"><slot name="short-summary"></slot></section>
          <section data-panel="detailed" role="tabpanel"><slot name="detailed-instructions"></slot></section>
          <section data-panel="examples" role="tabpanel" class="examples">
            <div class="ex good"><h3>${P.icon('check')}Good examples</h3><slot name="positive-example"></slot></div>
            <div class="ex bad"><h3>${P.icon('close')}Bad examples</h3><slot name="negative-example"></slot></div>
          </section>`)}`;
      const dlg = this.shadowRoot.querySelector('dialog');
      P.wireDialog(dlg);
      this.shadowRoot.querySelector('.trigger').addEventListener('click', () => { P.openDialog(dlg); });
      this.shadowRoot.querySelectorAll('.tab').forEach((b) => b.addEventListener('click', () => this._show(b.dataset.tab)));
      this._show('summary');
    }
    _regionsChanged() {
      const sr = this.shadowRoot;
      if (!sr.querySelector('.tab')) return;
      const has = { summary: !!this._region('short-summary'), detailed: !!this._region('detailed-instructions'),
        examples: !!(this._region('positive-example') || this._region('negative-example')) };
      for (const b of sr.querySelectorAll('.tab')) b.hidden = !has[b.dataset.tab];
      sr.querySelector('.ex.good').hidden = !this._region('positive-example');
      sr.querySelector('.ex.bad').hidden = !this._region('negative-example');
      const cur = sr.querySelector('.tab[aria-selected="true"]');
      if (cur && cur.hidden) {
        const first = [...sr.querySelectorAll('.tab')].find((b) => !b.hidden);
        if (first) this._show(first.dataset.tab);
      }
    }
    _show(id) {
      const sr = this.shadowRoot;
      sr.querySelectorAll('.tab').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === id)));
      sr.querySelectorAll('[data-panel]').forEach((p) => { p.hidden = p.dataset.panel !== id; });
    }
    open() { P.openDialog(this.shadowRoot.querySelector('dialog')); }
    close() { this.shadowRoot.querySelector('dialog').close(); }
  });
})();
