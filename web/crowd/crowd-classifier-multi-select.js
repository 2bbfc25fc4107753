/*
 * <crowd-classifier-multi-select>: choose one or more categories; output { "<name>": { "labels": [...] } } (spec §5.2).
 * The implementation is P.ClassifierElement in crowd-classifier.js (loaded earlier, see ORDER).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-classifier-multi-select', class CrowdClassifierMultiSelect extends P.ClassifierElement {
    static get multi() { return true; }
    static get image() { return false; }
  });
})();
