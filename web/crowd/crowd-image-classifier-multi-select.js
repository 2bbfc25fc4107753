/*
 * <crowd-image-classifier-multi-select>: choose one or more categories for the image; output { "<name>": { "labels": [...], "workerComment"?: "..." } } (spec §5.4).
 * The implementation is P.ClassifierElement in crowd-classifier.js (loaded earlier, see ORDER).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-image-classifier-multi-select', class CrowdImageClassifierMultiSelect extends P.ClassifierElement {
    static get multi() { return true; }
    static get image() { return true; }
  });
})();
