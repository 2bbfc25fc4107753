/*
 * <crowd-card>: a raised box with padding (spec crowd-elements.md §4.8).
 * Attributes: heading (title), image (URL shown at the top). Block-level, so
 * templates can size it with CSS (crowd-card { width: 100% }).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-card', class CrowdCard extends P.CrowdElement {
    static get observedAttributes() { return ['heading', 'image']; }
    _render() {
      const heading = this.getAttribute('heading');
      const image = this.getAttribute('image');
      this.shadowRoot.innerHTML = `<style>${P.BASE_CSS}
          :host { display: block; background: var(--_surface); border: 1px solid var(--_border); border-radius: 10px;
            box-shadow: 0 1px 3px rgba(16, 24, 40, .06); margin: 8px 0; overflow: hidden; }
          .image { display: block; width: 100%; max-height: 360px; object-fit: cover; }
          .heading { margin: 0; padding: 16px 20px 0; font-size: 17px; font-weight: 650; }
          .content { padding: 12px 20px 16px; line-height: 1.55; overflow-wrap: anywhere; }
        </style>${image ? `<img class="image" part="image" src="${P.esc(image)}" alt="">` : ''}${heading ? `<h2 class="heading" part="heading">${P.esc(heading)}</h2>` : ''}<div class="content" part="content"><slot></slot></div>`;
    }
  });
})();
