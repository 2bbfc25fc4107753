/*
 * <crowd-bounding-box>: draw labeled boxes on an image (spec crowd-elements.md §5.5).
 * Output: { "<name>": { "boundingBoxes": [ { "height", "label", "left", "top", "width" } ],
 *                       "inputImageProperties": { "height", "width" },
 *                       "initialValueModified"?: bool } }
 * in natural image pixels, rounded to integers. `initial-value` is an array of
 * {label, left, top, width, height}; those boxes can be edited.
 *
 * Drawing: drag on the image with a label chosen (the first one is chosen at
 * the start). Drag a box to move it; drag one of the selected box's eight
 * handles to resize it (past the opposite side flips it). Shift+drag always
 * draws a new box, even over another one. The common tool UI is in
 * image-tool.js.
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const clamp = P.clamp;
  const HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];
  const MIN_SCREEN = 4; // a drag shorter than this (screen px) is a click

  // The point of handle `h` of box `b`.
  const handlePoint = (b, h) => ({
    x: h.includes('w') ? b.left : (h.includes('e') ? b.left + b.width : b.left + b.width / 2),
    y: h.includes('n') ? b.top : (h.includes('s') ? b.top + b.height : b.top + b.height / 2),
  });

  class CrowdBoundingBox extends P.ImageToolElement {
    get _listTitle() { return 'Boxes'; }
    get _outputKey() { return 'boundingBoxes'; }
    get _outputOrder() { return ['shapes', 'inputImageProperties']; }
    get _hint() { return 'Drag on the image to draw a box'; }
    get _shortcutRows() { return '<li>Drag</li><li>Draw a box (on a box: move it; <kbd>Shift</kbd>+drag: draw over it)</li>'; }

    _readInitial(v) {
      return (Array.isArray(v) ? v : []).filter((b) => b && typeof b === 'object')
        .map((b) => ({ label: String(b.label ?? ''), left: Number(b.left) || 0, top: Number(b.top) || 0, width: Number(b.width) || 0, height: Number(b.height) || 0 }))
        .filter((b) => b.width > 0 && b.height > 0);
    }
    _shapeOut(b) {
      return { height: Math.round(b.height), label: b.label, left: Math.round(b.left), top: Math.round(b.top), width: Math.round(b.width) };
    }
    _describe(b) { return `${Math.round(b.left)}, ${Math.round(b.top)} · ${Math.round(b.width)}×${Math.round(b.height)}`; }

    _clampShape(b) {
      const W = this._natural.width, H = this._natural.height;
      const x1 = clamp(b.left, 0, W), y1 = clamp(b.top, 0, H);
      const x2 = clamp(b.left + b.width, 0, W), y2 = clamp(b.top + b.height, 0, H);
      Object.assign(b, { left: x1, top: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1) });
    }
    _translate(b, dx, dy) {
      const d = this._translateClamped(b, dx, dy, [{ x: b.left, y: b.top }, { x: b.left + b.width, y: b.top + b.height }]);
      b.left += d.dx; b.top += d.dy;
    }

    _drawShape(ctx, b, st) {
      const x = st.sx(b.left), y = st.sy(b.top), w = b.width * st.view.s, h = b.height * st.view.s;
      ctx.fillStyle = P.withAlpha(st.color, st.selected ? 0.22 : (st.hover ? 0.18 : 0.1));
      ctx.fillRect(x, y, w, h);
      ctx.lineWidth = st.selected ? 3 : 2;
      ctx.strokeStyle = st.color;
      ctx.strokeRect(x, y, w, h);
      if (st.selected || st.hover) this._drawTag(ctx, b.label, x, y, st.color);
      if (st.selected) {
        ctx.fillStyle = '#fff';
        ctx.strokeStyle = st.color;
        ctx.lineWidth = 2;
        for (const hd of HANDLES) {
          const p = handlePoint(b, hd);
          ctx.fillRect(st.sx(p.x) - 4, st.sy(p.y) - 4, 8, 8);
          ctx.strokeRect(st.sx(p.x) - 4, st.sy(p.y) - 4, 8, 8);
        }
      }
    }
    _drawPending(ctx, st) {
      const b = this._pending;
      if (!b) return;
      st.selected = false; st.hover = true; st.color = this._colorOf(b.label);
      ctx.setLineDash([6, 4]);
      this._drawShape(ctx, b, st);
      ctx.setLineDash([]);
    }

    _hit(b, pt, tol, selected) {
      if (selected) {
        for (const hd of HANDLES) {
          const p = handlePoint(b, hd);
          if (Math.abs(p.x - pt.x) <= tol && Math.abs(p.y - pt.y) <= tol) return { part: hd, rank: -1 };
        }
      }
      if (pt.x >= b.left - tol / 2 && pt.x <= b.left + b.width + tol / 2 && pt.y >= b.top - tol / 2 && pt.y <= b.top + b.height + tol / 2) {
        // The smallest box under the point wins, so nested boxes stay reachable.
        return { part: 'inside', rank: b.width * b.height };
      }
      return null;
    }

    _beginCreate(p0) {
      const label = this._currentLabel;
      this._pending = { label, left: p0.x, top: p0.y, width: 0, height: 0 };
      let screen = 0;
      const set = (pt) => {
        const q = this._clampPoint(pt);
        Object.assign(this._pending, { left: Math.min(p0.x, q.x), top: Math.min(p0.y, q.y), width: Math.abs(q.x - p0.x), height: Math.abs(q.y - p0.y) });
        screen = Math.min(this._pending.width, this._pending.height) * this._view.s;
      };
      return {
        move: set,
        up: (pt) => {
          set(pt);
          const b = this._pending;
          this._pending = null;
          if (screen < MIN_SCREEN || b.width < 1 || b.height < 1) { this._select(-1); return; }
          this._checkpoint();
          this._shapes.push(b);
          this._selected = this._shapes.length - 1;
          this._changed();
        },
        cancel: () => { this._pending = null; },
      };
    }
    _cancelCreate() {
      if (!this._pending) return false;
      this._pending = null;
      if (this._drag) this._drag = null;
      return true;
    }

    _beginEdit(i, hit, p0) {
      this._select(i);
      const b = this._shapes[i];
      const orig = { ...b };
      this._checkpoint();
      const finish = () => {
        if (b.width < 1 || b.height < 1) Object.assign(b, orig);
        this._dropCheckpointIfSame();
        this._changed();
      };
      if (hit.part === 'inside') {
        return {
          move: (pt) => { Object.assign(b, orig); this._translate(b, pt.x - p0.x, pt.y - p0.y); },
          up: finish,
          cancel: () => { Object.assign(b, orig); this._dropCheckpointIfSame(); this._changed(); },
        };
      }
      const h = hit.part;
      return {
        move: (pt) => {
          const q = this._clampPoint(pt);
          let x1 = orig.left, y1 = orig.top, x2 = orig.left + orig.width, y2 = orig.top + orig.height;
          if (h.includes('w')) x1 = q.x;
          if (h.includes('e')) x2 = q.x;
          if (h.includes('n')) y1 = q.y;
          if (h.includes('s')) y2 = q.y;
          Object.assign(b, { left: Math.min(x1, x2), top: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) });
        },
        up: finish,
        cancel: () => { Object.assign(b, orig); this._dropCheckpointIfSame(); this._changed(); },
      };
    }
  }

  P.define('crowd-bounding-box', CrowdBoundingBox);
})();
