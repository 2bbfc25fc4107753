/*
 * <crowd-icon-button>: a round icon-only button (spec crowd-elements.md §4.15).
 * Attributes: icon (iron-icons name or image URL), disabled. Acts through page
 * JavaScript only. Trailing slot keeps content swallowed by "self-closed" tags.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-icon-button', class CrowdIconButton extends P.CrowdElement {
    static get observedAttributes() { return ['icon', 'disabled', 'title']; }
    constructor() {
      super();
      this.addEventListener('click', (e) => { if (this.disabled) { e.stopImmediatePropagation(); e.preventDefault(); } });
    }
    _render() {
      const label = this.getAttribute('title') || this.getAttribute('aria-label') || (this.getAttribute('icon') || 'button').replace(/-/g, ' ');
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: inline-block; vertical-align: middle; }
          :host([disabled]) { pointer-events: none; opacity: .45; }
          button { width: 40px; height: 40px; border-radius: 50%; border: none; background: transparent; color: var(--_muted);
            display: inline-flex; align-items: center; justify-content: center; cursor: pointer; transition: background .12s, color .12s; }
          button:hover { background: var(--_primary-soft); color: var(--_primary); }
          button:active { background: #e2d8f1; }
          .icon { width: 24px; height: 24px; }
        </style><button type="button" part="button" aria-label="${P.esc(label)}"${this.disabled ? ' disabled' : ''}>${P.icon(this.getAttribute('icon')) || P.icon('help')}</button><slot></slot>`;
    }
    focus(o) { const b = this.shadowRoot.querySelector('button'); if (b) b.focus(o); }
  });
})();
