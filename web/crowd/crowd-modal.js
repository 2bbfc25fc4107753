/*
 * <crowd-modal>: a link or button that opens its content in a modal
 * (spec crowd-elements.md §4.10). Attributes: link-text (default "Click to open
 * modal"), link-type ("link" default | "button"). Content: the default slot.
 * Methods open() / close() and property `opened` are a Plumbline convenience.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-modal', class CrowdModal extends P.CrowdElement {
    static get observedAttributes() { return ['link-text', 'link-type', 'header']; }
    _render() {
      const text = this.getAttribute('link-text') || 'Click to open modal';
      const asButton = (this.getAttribute('link-type') || 'link').toLowerCase() === 'button';
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS} :host { display: inline-block; }</style>
        <button type="button" class="btn ${asButton ? '' : 'link'} trigger">${P.esc(text)}</button>
        ${P.modalHTML('crowd-modal-dialog', this.getAttribute('header') || '', '<slot></slot>')}`;
      const dlg = this.shadowRoot.querySelector('dialog');
      P.wireDialog(dlg);
      this.shadowRoot.querySelector('.trigger').addEventListener('click', () => this.open());
    }
    open() { const d = this.shadowRoot.querySelector('dialog'); if (d) P.openDialog(d); }
    close() { const d = this.shadowRoot.querySelector('dialog'); if (d) d.close(); }
    get opened() { const d = this.shadowRoot.querySelector('dialog'); return !!(d && d.open); }
    set opened(v) { if (v) this.open(); else this.close(); }
  });
})();
