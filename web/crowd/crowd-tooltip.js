/*
 * <crowd-tooltip>: Plumbline extension. Ground Truth documents no such element
 * (spec crowd-elements.md §1 "Not found anywhere"); this minimal version exists
 * so that a template using it degrades gracefully.
 * Usage: <crowd-tooltip for="id" text="...">  or  <crowd-tooltip text="...">anchor</crowd-tooltip>
 * The tip (text attribute, else the content when `for` is set) shows on hover and focus.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-tooltip', class CrowdTooltip extends P.CrowdElement {
    static get observedAttributes() { return ['text', 'for', 'position']; }
    constructor() {
      super();
      this._show = () => this._toggle(true);
      this._hide = () => this._toggle(false);
    }
    _render() {
      const forId = this.getAttribute('for');
      const text = this.getAttribute('text');
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: inline-block; position: relative; }
          :host([for]) { position: absolute; width: 0; height: 0; }
          .tip { position: absolute; left: 50%; bottom: calc(100% + 8px); transform: translateX(-50%); z-index: 1000;
            background: #23192f; color: #fff; font-size: 13px; line-height: 1.4; padding: 6px 10px; border-radius: 6px;
            width: max-content; max-width: 280px; pointer-events: none; box-shadow: 0 6px 18px rgba(0,0,0,.2); }
          :host([position="bottom"]) .tip { bottom: auto; top: calc(100% + 8px); }
        </style>${forId ? '' : '<slot></slot>'}<div class="tip" role="tooltip" hidden>${text !== null ? P.esc(text) : '<slot></slot>'}</div>`;
      this._bind();
    }
    _onConnect() { this._bind(); }
    _onDisconnect() { this._unbind(); }
    _bind() {
      this._unbind();
      const id = this.getAttribute('for');
      const anchor = id ? document.getElementById(id) : this;
      if (!anchor) return;
      this._anchor = anchor;
      for (const ev of ['mouseenter', 'focusin']) anchor.addEventListener(ev, this._show);
      for (const ev of ['mouseleave', 'focusout']) anchor.addEventListener(ev, this._hide);
    }
    _unbind() {
      if (!this._anchor) return;
      for (const ev of ['mouseenter', 'focusin']) this._anchor.removeEventListener(ev, this._show);
      for (const ev of ['mouseleave', 'focusout']) this._anchor.removeEventListener(ev, this._hide);
      this._anchor = null;
    }
    _toggle(on) {
      const tip = this.shadowRoot.querySelector('.tip');
      if (!tip) return;
      if (on && this._anchor && this._anchor !== this) {
        const a = this._anchor.getBoundingClientRect();
        const parent = this.offsetParent || document.body;
        const pr = parent === document.body ? { left: -window.scrollX, top: -window.scrollY } : parent.getBoundingClientRect();
        this.style.left = `${a.left - pr.left + a.width / 2}px`;
        this.style.top = `${a.top - pr.top}px`;
      }
      tip.hidden = !on;
    }
  });
})();
