/*
 * <crowd-fab>: a floating action button (spec crowd-elements.md §4.15).
 * Attributes: icon, label (one character shown instead of an icon), title
 * (tooltip), disabled. Acts through page JavaScript only. Placement is left
 * to the page (templates position it with CSS).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-fab', class CrowdFab extends P.CrowdElement {
    static get observedAttributes() { return ['icon', 'label', 'title', 'disabled']; }
    constructor() {
      super();
      this.addEventListener('click', (e) => { if (this.disabled) { e.stopImmediatePropagation(); e.preventDefault(); } });
    }
    _render() {
      const label = this.getAttribute('label');
      const title = this.getAttribute('title') || label || this.getAttribute('icon') || 'action';
      const face = label ? `<span class="char">${P.esc(label.slice(0, 1))}</span>` : (P.icon(this.getAttribute('icon')) || P.icon('add'));
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: inline-block; vertical-align: middle; }
          :host([disabled]) { pointer-events: none; }
          button { width: 56px; height: 56px; border-radius: 50%; border: none; background: var(--_primary); color: #fff; cursor: pointer;
            display: inline-flex; align-items: center; justify-content: center; box-shadow: 0 6px 16px rgba(40, 20, 70, .3);
            transition: transform .12s, background .12s; }
          button:hover { background: var(--_primary-hover); transform: translateY(-1px); }
          button[disabled] { background: #b9bfcc; box-shadow: none; }
          .icon { width: 24px; height: 24px; }
          .char { font-size: 22px; font-weight: 650; }
        </style><button type="button" part="button" aria-label="${P.esc(title)}"${this.disabled ? ' disabled' : ''}>${face}</button><slot></slot>`;
    }
    focus(o) { const b = this.shadowRoot.querySelector('button'); if (b) b.focus(o); }
  });
})();
