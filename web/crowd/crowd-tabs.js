/*
 * <crowd-tabs> and <crowd-tab header="..."> (spec crowd-elements.md §4.11).
 * Tab panels stay in the light DOM and are only hidden, so inputs in hidden
 * tabs are still serialized and validated; crowd-form reveals the tab of the
 * first invalid field (through _reveal). Arrow keys move between tabs.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  P.define('crowd-tab', class CrowdTab extends P.CrowdElement {
    static get observedAttributes() { return ['header']; }
    _render() {
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
        :host { display: block; padding: 16px 2px; }
        :host([data-hidden]) { display: none; }</style><slot></slot>`;
    }
    _attributeChanged() {
      const tabs = this.parentElement;
      if (tabs && tabs._build) tabs._build();
    }
  });

  P.define('crowd-tabs', class CrowdTabs extends P.CrowdElement {
    constructor() { super(); this._index = 0; }
    _render() {
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: block; margin: 8px 0; }
          .tablist { display: flex; gap: 4px; border-bottom: 1px solid var(--_border); overflow-x: auto; }
          .tab { border: 0; background: transparent; padding: 10px 16px; font-weight: 600; font-size: 14px; color: var(--_muted);
            cursor: pointer; border-bottom: 3px solid transparent; margin-bottom: -1px; white-space: nowrap; border-radius: 6px 6px 0 0; }
          .tab:hover { color: var(--_text); background: var(--_canvas); }
          .tab[aria-selected="true"] { color: var(--_primary); border-bottom-color: var(--_primary); }
        </style><div class="tablist" role="tablist"></div><slot></slot>`;
      this.shadowRoot.querySelector('.tablist').addEventListener('keydown', (e) => {
        const dir = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (!dir) return;
        const n = this._tabs().length;
        if (!n) return;
        e.preventDefault();
        this._select((this._index + dir + n) % n, true);
      });
      new MutationObserver(() => this._build()).observe(this, { childList: true });
      this._build();
    }
    _tabs() { return [...this.children].filter((c) => c.localName === 'crowd-tab'); }
    _build() {
      const list = this.shadowRoot.querySelector('.tablist');
      if (!list) return;
      const tabs = this._tabs();
      list.replaceChildren(...tabs.map((t, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'tab';
        b.setAttribute('role', 'tab');
        b.textContent = t.getAttribute('header') || `Tab ${i + 1}`;
        b.addEventListener('click', () => this._select(i));
        return b;
      }));
      this._select(Math.min(this._index, Math.max(0, tabs.length - 1)));
    }
    _select(i, focus) {
      this._index = i;
      this._tabs().forEach((t, j) => {
        if (j === i) t.removeAttribute('data-hidden'); else t.setAttribute('data-hidden', '');
        t.setAttribute('role', 'tabpanel');
      });
      const buttons = this.shadowRoot.querySelectorAll('.tab');
      buttons.forEach((b, j) => { b.setAttribute('aria-selected', String(j === i)); b.tabIndex = j === i ? 0 : -1; });
      if (focus && buttons[i]) buttons[i].focus();
    }
    // Shows the tab holding `el` (used by crowd-form before focusing an invalid field).
    _reveal(el) {
      const i = this._tabs().findIndex((t) => t.contains(el));
      if (i >= 0 && i !== this._index) this._select(i);
    }
  });
})();
