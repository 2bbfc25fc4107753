/*
 * <crowd-polyline>: draw labeled open lines of 2 or more vertices (spec
 * crowd-elements.md §5.8). Output: { "<name>": { "inputImageProperties",
 * "polylines": [ { "label", "vertices": [ { "x", "y" } ] } ],
 * "initialValueModified"? } }. `initial-value`: { polylines: [...] };
 * `label-colors`: one hex colour per label. Enter finishes a polyline (as do
 * a click on its last vertex and a double click). Drawing and editing are in
 * vertex-tool.js.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  class CrowdPolyline extends P.VertexToolElement {
    get _minPoints() { return 2; }
    get _listTitle() { return 'Polylines'; }
    get _shapeNoun() { return 'polyline'; }
    get _outputKey() { return 'polylines'; }
    get _hint() { return 'Click the points of the line; Enter finishes it'; }
    get _shortcutRows() { return '<li>Click</li><li>Add a point (on the last point, or a double click: finish)</li><li><kbd>Enter</kbd></li><li>Finish the polyline</li><li><kbd>Alt</kbd>+click</li><li>Remove a point of the selected polyline</li>'; }
  }

  P.define('crowd-polyline', CrowdPolyline);
})();
