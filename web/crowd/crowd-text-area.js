/*
 * <crowd-text-area>: a labelled multi-line text field (spec crowd-elements.md §4.3).
 * Attributes as crowd-input plus rows, max-rows (grows up to N rows) and char-counter.
 * Output: { "<name>": "<text with \n>" }, left out when empty.
 * The implementation is P.TextField in crowd-input.js (loaded earlier, see ORDER).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-text-area', class CrowdTextArea extends P.TextField {
    get _multiline() { return true; }
  });
})();
