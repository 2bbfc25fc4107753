/*
 * <crowd-line>: draw labeled straight lines, exactly two vertices each (spec
 * crowd-elements.md §5.7). Output: { "<name>": { "inputImageProperties",
 * "lines": [ { "label", "vertices": [ {x, y}, {x, y} ] } ],
 * "initialValueModified"? } }. `initial-value`: { lines: [...] };
 * `label-colors`: one hex colour per label. Drag from start to end, or click
 * both ends. Drawing and editing are in vertex-tool.js.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];

  class CrowdLine extends P.VertexToolElement {
    get _minPoints() { return 2; }
    get _maxPoints() { return 2; }
    get _listTitle() { return 'Lines'; }
    get _shapeNoun() { return 'line'; }
    get _outputKey() { return 'lines'; }
    get _hint() { return 'Drag from one end of the line to the other'; }
    get _shortcutRows() { return '<li>Drag, or click twice</li><li>Draw a line from start to end</li>'; }
    _describe(s) {
      const [a, b] = s.vertices;
      return `${Math.round(a.x)},${Math.round(a.y)} → ${Math.round(b.x)},${Math.round(b.y)}`;
    }
  }

  P.define('crowd-line', CrowdLine);
})();
