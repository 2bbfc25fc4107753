/*
 * <crowd-image-classifier>: choose one category for the image at src; output { "<name>": { "label": "...", "workerComment"?: "..." } } (spec §5.3).
 * The implementation is P.ClassifierElement in crowd-classifier.js (loaded earlier, see ORDER).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  P.define('crowd-image-classifier', class CrowdImageClassifier extends P.ClassifierElement {
    static get multi() { return false; }
    static get image() { return true; }
  });
})();
