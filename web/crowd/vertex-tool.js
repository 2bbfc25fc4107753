/*
 * P.VertexToolElement: the shapes made of vertices, on the image-tool base
 * (image-tool.js): crowd-polygon (closed, 3 or more vertices), crowd-polyline
 * (open, 2 or more) and crowd-line (open, exactly 2). Load after
 * image-tool.js, before those three (see ORDER).
 *
 * A shape is {label, vertices: [{x, y}]} in natural image pixels; the output
 * rounds the vertices to integers.
 *
 * Drawing: click to place vertices; the line to the pointer shows the next
 * edge. A polygon closes on a click on its first vertex or Enter (needs 3
 * vertices); a polyline ends with Enter, a click on its last vertex or a
 * double click (needs 2); a line ends with its second vertex, or is drawn in
 * one drag. Ctrl+Z while drawing removes the last vertex, Esc drops the shape.
 * A polygon's edges may not cross: such a vertex is refused with a message.
 *
 * Editing: drag a vertex of the selected shape to move it; drag an edge (or
 * the inside of a polygon when no label is chosen) to move the whole shape;
 * Alt+click a vertex of the selected shape to remove it (down to the minimum).
 */
(() => {
  'use strict';
  const P = globalThis[Symbol.for('plumbline.crowd')];
  const clamp = P.clamp;
  const MIN_DRAG = 4; // screen px: less is a click

  // Distance from p to the segment ab.
  const segDist = (p, a, b) => {
    const dx = b.x - a.x, dy = b.y - a.y;
    const len = dx * dx + dy * dy;
    const t = len ? clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len, 0, 1) : 0;
    return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
  };
  // Proper crossing of segments ab and cd (shared end points do not count).
  const cross = (a, b, c, d) => {
    const o = (p, q, r) => Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
    return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
  };
  const inside = (p, vs) => {
    let inn = false;
    for (let i = 0, j = vs.length - 1; i < vs.length; j = i++) {
      const a = vs[i], b = vs[j];
      if ((a.y > p.y) !== (b.y > p.y) && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inn = !inn;
    }
    return inn;
  };
  const area = (vs) => {
    let s = 0;
    for (let i = 0, j = vs.length - 1; i < vs.length; j = i++) s += (vs[j].x + vs[i].x) * (vs[j].y - vs[i].y);
    return Math.abs(s / 2);
  };

  class VertexToolElement extends P.ImageToolElement {
    // Variants set these.
    get _closed() { return false; }
    get _minPoints() { return 2; }
    get _maxPoints() { return Infinity; }

    _readInitial(v) {
      const list = Array.isArray(v) ? v : (v && typeof v === 'object' && Array.isArray(v[this._outputKey]) ? v[this._outputKey] : []);
      return list.filter((s) => s && typeof s === 'object' && Array.isArray(s.vertices))
        .map((s) => ({ label: String(s.label ?? ''), vertices: s.vertices.filter((p) => p && typeof p === 'object').map((p) => ({ x: Number(p.x) || 0, y: Number(p.y) || 0 })) }))
        .filter((s) => s.vertices.length >= this._minPoints);
    }
    _shapeOut(s) { return { label: s.label, vertices: s.vertices.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })) }; }
    _describe(s) { return `${s.vertices.length} points`; }
    _clampShape(s) { for (const p of s.vertices) { p.x = clamp(p.x, 0, this._natural.width); p.y = clamp(p.y, 0, this._natural.height); } }
    _translate(s, dx, dy) {
      const d = this._translateClamped(s, dx, dy, s.vertices);
      for (const p of s.vertices) { p.x += d.dx; p.y += d.dy; }
    }

    // --------------------------------------------------------- drawing
    _path(ctx, vs, st, closed) {
      ctx.beginPath();
      vs.forEach((p, i) => (i ? ctx.lineTo(st.sx(p.x), st.sy(p.y)) : ctx.moveTo(st.sx(p.x), st.sy(p.y))));
      if (closed) ctx.closePath();
    }
    _drawShape(ctx, s, st) {
      const vs = s.vertices;
      if (!vs.length) return;
      this._path(ctx, vs, st, this._closed);
      if (this._closed) { ctx.fillStyle = P.withAlpha(st.color, st.selected ? 0.25 : (st.hover ? 0.2 : 0.12)); ctx.fill(); }
      ctx.lineWidth = st.selected ? 3 : 2;
      ctx.strokeStyle = st.color;
      ctx.stroke();
      if (st.selected || st.hover) this._drawTag(ctx, s.label, st.sx(vs[0].x) + 4, st.sy(vs[0].y), st.color);
      if (st.selected) this._drawVertices(ctx, vs, st, st.color);
    }
    _drawVertices(ctx, vs, st, color) {
      ctx.fillStyle = '#fff';
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      for (const p of vs) { ctx.beginPath(); ctx.arc(st.sx(p.x), st.sy(p.y), 4.5, 0, Math.PI * 2); ctx.fill(); ctx.stroke(); }
    }
    _drawPending(ctx, st) {
      const s = this._pending;
      if (!s) return;
      const color = this._colorOf(s.label);
      const vs = this._cursor ? s.vertices.concat([this._cursor]) : s.vertices;
      this._path(ctx, vs, st, false);
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.setLineDash([6, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
      this._drawVertices(ctx, s.vertices, st, color);
      if (this._closed && s.vertices.length >= 3) {
        // The first vertex closes the polygon: drawn larger.
        const f = s.vertices[0];
        ctx.beginPath(); ctx.arc(st.sx(f.x), st.sy(f.y), 7, 0, Math.PI * 2); ctx.strokeStyle = color; ctx.stroke();
      }
    }

    // ---------------------------------------------------------- hit test
    _hit(s, pt, tol, selected) {
      const vs = s.vertices;
      if (selected) for (let i = 0; i < vs.length; i++) if (Math.hypot(vs[i].x - pt.x, vs[i].y - pt.y) <= tol) return { part: `v${i}`, rank: -2 };
      const n = this._closed ? vs.length : vs.length - 1;
      for (let i = 0; i < n; i++) if (segDist(pt, vs[i], vs[(i + 1) % vs.length]) <= tol) return { part: 'inside', rank: -1 };
      // The inside of a polygon selects it only when no label is chosen: with
      // a label, a new polygon may start inside another.
      if (this._closed && !this._currentLabel && inside(pt, vs)) return { part: 'inside', rank: area(vs) };
      return null;
    }

    // ---------------------------------------------------------- creation
    _drawing() { return !!this._pending; }
    _onHover(pt) { if (this._pending) { this._cursor = this._clampPoint(pt); this._requestDraw(); } }

    _beginCreate(p0, e) {
      const start = { x: e.clientX, y: e.clientY };
      let moved = false; // a drag from a fresh press draws the first edge
      const fresh = !this._pending;
      if (fresh) { this._pending = { label: this._currentLabel, vertices: [] }; this._status(''); }
      return {
        move: (pt, ev) => {
          if (Math.hypot(ev.clientX - start.x, ev.clientY - start.y) >= MIN_DRAG) moved = true;
          this._cursor = this._clampPoint(pt);
          if (fresh && moved && !this._pending.vertices.length) this._pending.vertices.push(p0);
        },
        up: (pt) => {
          const q = this._clampPoint(pt);
          const s = this._pending;
          if (!s) return;
          if (!s.vertices.length) { s.vertices.push(p0); return; }
          // A drag from a fresh press: its end is the second vertex.
          const at = q;
          const tol = this._tol();
          const first = s.vertices[0], last = s.vertices[s.vertices.length - 1];
          if (this._closed && s.vertices.length >= this._minPoints && Math.hypot(at.x - first.x, at.y - first.y) <= tol) { this._finish(); return; }
          if (!this._closed && s.vertices.length >= this._minPoints && Math.hypot(at.x - last.x, at.y - last.y) <= tol) { this._finish(); return; }
          if (Math.hypot(at.x - last.x, at.y - last.y) * this._view.s < 1) return; // same spot
          if (this._closed && this._crosses(s.vertices, at, false)) { this._status('The edges of a polygon may not cross.'); return; }
          s.vertices.push(at);
          if (s.vertices.length >= this._maxPoints) this._finish();
        },
        cancel: () => {},
      };
    }
    // Would the edge from the last vertex to p (and, when closing, from p to
    // the first) cross an existing edge?
    _crosses(vs, p, closing) {
      const last = vs[vs.length - 1];
      for (let i = 0; i + 1 < vs.length - 1; i++) if (cross(last, p, vs[i], vs[i + 1])) return true;
      if (closing) for (let i = 1; i + 1 < vs.length; i++) if (cross(p, vs[0], vs[i], vs[i + 1])) return true;
      return false;
    }
    _finish() {
      const s = this._pending;
      if (!s) return false;
      if (s.vertices.length < this._minPoints) { this._status(`At least ${this._minPoints} points are needed.`); return false; }
      if (this._closed) {
        const vs = s.vertices;
        for (let i = 1; i + 1 < vs.length - 1; i++) if (cross(vs[vs.length - 1], vs[0], vs[i], vs[i + 1])) { this._status('The edges of a polygon may not cross.'); return false; }
      }
      this._pending = null;
      this._cursor = null;
      this._checkpoint();
      this._shapes.push(s);
      // A polygon is done with its label: the next one starts with a choice
      // (so a label key then picks the next label, not a relabel).
      if (this._clearLabelAfterShape) { this._labelIndex = -1; this._selected = -1; } else this._selected = this._shapes.length - 1;
      this._changed();
      return true;
    }
    _cancelCreate(undo) {
      if (!this._pending) return false;
      if (undo && this._pending.vertices.length > 1) this._pending.vertices.pop();
      else { this._pending = null; this._cursor = null; }
      this._requestDraw();
      return true;
    }
    _toolKey(e) {
      if (e.key === 'Enter' && this._pending) { this._finish(); return true; }
      return false;
    }
    _validateShapes() { return this._pending ? `Finish or cancel (Esc) the ${this._shapeNoun} being drawn.` : ''; }
    get _shapeNoun() { return 'shape'; }

    // ----------------------------------------------------------- editing
    _beginEdit(i, hit, p0, e) {
      this._select(i);
      const s = this._shapes[i];
      const orig = s.vertices.map((p) => ({ ...p }));
      const restore = () => { s.vertices = orig.map((p) => ({ ...p })); };
      this._checkpoint();
      const done = () => { this._dropCheckpointIfSame(); this._changed(); };
      if (hit.part.startsWith('v')) {
        const k = Number(hit.part.slice(1));
        if (e.altKey) {
          if (s.vertices.length > this._minPoints) s.vertices.splice(k, 1);
          else this._status(`A ${this._shapeNoun} needs at least ${this._minPoints} points.`);
          done();
          return null;
        }
        return {
          move: (pt) => { const q = this._clampPoint(pt); s.vertices[k] = q; },
          up: done,
          cancel: () => { restore(); done(); },
        };
      }
      return {
        move: (pt) => { restore(); this._translate(s, pt.x - p0.x, pt.y - p0.y); },
        up: done,
        cancel: () => { restore(); done(); },
      };
    }
  }

  P.VertexToolElement = VertexToolElement;
})();
