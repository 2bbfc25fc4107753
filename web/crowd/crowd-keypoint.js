/*
 * <crowd-keypoint>: place labeled points on an image (spec crowd-elements.md §5.9).
 * Output: { "<name>": { "inputImageProperties": { "height", "width" },
 *                       "keypoints": [ { "label", "x", "y" } ],
 *                       "initialValueModified"?: bool } }
 * `initial-value`: [{label, x, y}]; points whose label is not among `labels`
 * are not drawn (they stay in the output as given). Click to place a point
 * with the chosen label; drag a point to move it. The common tool UI is in
 * image-tool.js.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const clamp = P.clamp;

  class CrowdKeypoint extends P.ImageToolElement {
    get _listTitle() { return 'Points'; }
    get _outputKey() { return 'keypoints'; }
    get _hint() { return 'Click on the image to place a point'; }
    get _hidesUnknownLabels() { return true; }
    get _shortcutRows() { return '<li>Click</li><li>Place a point (on a point: select it; drag to move)</li>'; }

    _readInitial(v) {
      return (Array.isArray(v) ? v : []).filter((p) => p && typeof p === 'object')
        .map((p) => ({ label: String(p.label ?? ''), x: Number(p.x) || 0, y: Number(p.y) || 0 }));
    }
    _shapeOut(p) { return { label: p.label, x: Math.round(p.x), y: Math.round(p.y) }; }
    _describe(p) { return `${Math.round(p.x)}, ${Math.round(p.y)}`; }
    _clampShape(p) { p.x = clamp(p.x, 0, this._natural.width); p.y = clamp(p.y, 0, this._natural.height); }
    _translate(p, dx, dy) {
      p.x = clamp(p.x + dx, 0, this._natural.width);
      p.y = clamp(p.y + dy, 0, this._natural.height);
    }

    _drawShape(ctx, p, st) {
      const x = st.sx(p.x), y = st.sy(p.y);
      ctx.beginPath();
      ctx.arc(x, y, st.selected ? 7 : 5.5, 0, Math.PI * 2);
      ctx.fillStyle = st.color;
      ctx.fill();
      ctx.lineWidth = st.selected ? 3 : 2;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      if (st.selected || st.hover) this._drawTag(ctx, p.label, x + 9, y - 2, st.color);
    }

    _hit(p, pt, tol) {
      const d = Math.hypot(p.x - pt.x, p.y - pt.y);
      return d <= tol * 1.3 ? { part: 'inside', rank: d } : null;
    }

    _beginCreate(p0) {
      const label = this._currentLabel;
      return {
        move: () => {},
        up: (pt) => {
          this._checkpoint();
          const q = this._clampPoint(pt);
          this._shapes.push({ label, x: q.x, y: q.y });
          this._selected = this._shapes.length - 1;
          this._changed();
        },
        cancel: () => {},
      };
    }

    _beginEdit(i, hit, p0) {
      this._select(i);
      const p = this._shapes[i];
      const orig = { ...p };
      this._checkpoint();
      const done = () => { this._dropCheckpointIfSame(); this._changed(); };
      return {
        move: (pt) => { Object.assign(p, orig); this._translate(p, pt.x - p0.x, pt.y - p0.y); },
        up: done,
        cancel: () => { Object.assign(p, orig); done(); },
      };
    }
  }

  P.define('crowd-keypoint', CrowdKeypoint);
})();
