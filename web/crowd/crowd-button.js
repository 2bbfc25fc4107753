/*
 * <crowd-button>: a button (spec crowd-elements.md §4.1).
 * form-action="submit"|"reset" drives the enclosing crowd-form; without it the
 * button does nothing to the form. Also: disabled, loading, variant
 * (normal|primary|link|icon), icon / icon-url / icon-align, href + target.
 * The native <button> lives in the shadow root, so it never submits the
 * light-DOM <form> natively. A disabled button swallows clicks before page
 * listeners on the host see them.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-button', class CrowdButton extends P.CrowdElement {
    static get observedAttributes() { return ['disabled', 'loading', 'variant', 'icon', 'icon-url', 'icon-align', 'href', 'target', 'form-action']; }
    constructor() {
      super();
      this.addEventListener('click', (e) => {
        if (this.disabled || P.boolAttr(this, 'loading')) { e.stopImmediatePropagation(); e.preventDefault(); return; }
        const action = (this.getAttribute('form-action') || '').toLowerCase();
        if (action !== 'submit' && action !== 'reset') return;
        // Run after the page's own click handlers (they may edit fields or preventDefault).
        setTimeout(() => {
          if (e.defaultPrevented) return; // a page handler vetoed the action
          const form = P.formOf(this);
          if (!form) return;
          if (action === 'submit') form.submit(); else form.reset();
        }, 0);
      });
    }
    _render() {
      const variant = (this.getAttribute('variant') || 'normal').toLowerCase();
      const loading = P.boolAttr(this, 'loading');
      const icon = this.getAttribute('icon-url') ? P.icon(this.getAttribute('icon-url')) : P.icon(this.getAttribute('icon'));
      const right = (this.getAttribute('icon-align') || 'left').toLowerCase() === 'right';
      const label = variant === 'icon' ? '' : '<slot></slot>';
      const inner = loading ? `<span class="spinner" aria-hidden="true"></span>${label}` : (right ? `${label}${icon}` : `${icon}${label}`);
      const href = this.getAttribute('href');
      const cls = `btn ${variant === 'primary' ? 'primary' : variant === 'link' ? 'link' : variant === 'icon' ? 'icon-only' : ''}`;
      const dis = this.disabled || loading;
      const el = href
        ? `<a class="${cls}" part="button" href="${P.esc(href)}"${this.getAttribute('target') ? ` target="${P.esc(this.getAttribute('target'))}" rel="noopener"` : ''}${dis ? ' aria-disabled="true" tabindex="-1"' : ''}>${inner}</a>`
        : `<button type="button" class="${cls}" part="button"${dis ? ' disabled' : ''}${loading ? ' aria-busy="true"' : ''}>${inner}</button>`;
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: inline-block; vertical-align: middle; }
          :host([disabled]), :host([loading]) { pointer-events: none; }
          .btn { width: 100%; }
          .icon-only { padding: 0; width: 36px; }
          .spinner { width: 14px; height: 14px; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent;
            animation: spin .8s linear infinite; }
          @keyframes spin { to { transform: rotate(360deg); } }
        </style>${el}`;
    }
    focus(o) { const b = this.shadowRoot.querySelector('button, a'); if (b) b.focus(o); }
  });
})();
