/*
 * <crowd-polygon>: draw labeled polygons on an image (spec crowd-elements.md §5.6).
 * Output: { "<name>": { "inputImageProperties": { "height", "width" },
 *                       "polygons": [ { "label", "vertices": [ { "x", "y" } ] } ],
 *                       "initialValueModified"?: bool } }
 * `initial-value`: [{label, vertices: [{x, y}]}]. As Ground Truth's tool: a
 * label is chosen before drawing and cleared once a polygon is done; a
 * polygon is selected on its border (or inside when no label is chosen); a
 * new one may start inside another; edges may not cross. Drawing and editing
 * are in vertex-tool.js; shadow DOM extras for scripts: .label-pane-content
 * with .label-button(.selected), button#polygon (start a polygon: chooses the
 * first label when none is) and button#delete.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  class CrowdPolygon extends P.VertexToolElement {
    get _closed() { return true; }
    get _minPoints() { return 3; }
    get _needsExplicitLabel() { return true; }
    get _clearLabelAfterShape() { return true; }
    get _listTitle() { return 'Polygons'; }
    get _shapeNoun() { return 'polygon'; }
    get _outputKey() { return 'polygons'; }
    get _hint() { return 'Choose a label, then click the corners; click the first one to close'; }
    get _shortcutRows() { return '<li>Click</li><li>Add a corner (on the first corner: close the polygon)</li><li><kbd>Enter</kbd></li><li>Close the polygon</li><li><kbd>Alt</kbd>+click</li><li>Remove a corner of the selected polygon</li>'; }
    _toolButtons() { return `<button type="button" class="btn" id="polygon" title="New polygon">${P.icon('edit')}Polygon</button>`; }
    _wireToolButtons(sr) {
      sr.querySelector('#polygon').addEventListener('click', () => {
        if (!this._currentLabel && this.labels.length) this._chooseLabel(0);
        this._select(-1);
        this._status('Click the corners of the new polygon.');
      });
    }
  }

  P.define('crowd-polygon', CrowdPolygon);
})();
