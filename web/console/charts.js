// Small SVG charts drawn by hand (no library): a time series with up to two
// lines and a throughput histogram, and horizontal bars. Every label is set
// as text, never parsed as markup, so label names from data are safe.
const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text != null) n.textContent = text;
  return n;
};

// Round numbers for an axis from 0 to max: [0, step, 2 step, ...].
function ticks(max, count = 4) {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(v);
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

const hhmm = (ms, seconds = false) => new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined });
const short = (n) => (n >= 10000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n * 10) / 10}`);

// Progress over time. points: [{t, answers, finished, perMinute}]; `total`
// draws the finished line against the job's object count.
export function progressChart(points, { total = 0, width = 640, height = 260 } = {}) {
  const m = { l: 48, r: 48, t: 14, b: 30 };
  const w = width - m.l - m.r, h = height - m.t - m.b;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img' });
  if (!points.length) {
    const none = document.createElement('p');
    none.className = 'muted chart-empty';
    none.textContent = 'No answers yet: the plot starts with the first one.';
    return none;
  }
  const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1000);
  const withSeconds = t1 - t0 < 2 * 3600 * 1000;
  const yMax = ticks(Math.max(1, points[points.length - 1].answers, total ? Math.min(total, points[points.length - 1].answers) : 0));
  const top = yMax[yMax.length - 1];
  const rateMax = ticks(Math.max(1, ...points.map((p) => p.perMinute)));
  const rateTop = rateMax[rateMax.length - 1];
  const x = (t) => m.l + ((t - t0) / (t1 - t0)) * w;
  const y = (v) => m.t + h - (v / top) * h;
  const yr = (v) => m.t + h - (v / rateTop) * h;

  for (const v of yMax) {
    root.append(svg('line', { class: 'grid', x1: m.l, x2: m.l + w, y1: y(v), y2: y(v) }));
    root.append(svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, short(v)));
  }
  for (const v of rateMax) root.append(svg('text', { x: m.l + w + 6, y: yr(v) + 4 }, short(v)));
  
  // Throughput bars (answers per minute in each bucket).
  const bw = Math.max(1, w / points.length - 1);
  points.forEach((p, i) => {
    if (!i || !p.perMinute) return;
    const px = x(p.t);
    root.append(svg('rect', { class: 'rate', x: px - bw, y: yr(p.perMinute), width: bw, height: m.t + h - yr(p.perMinute) },
    ));
  });
  const path = (key) => points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
  root.append(svg('path', { class: 'area-answers', d: `${path('answers')}L${x(points[points.length - 1].t)},${y(0)}L${x(t0)},${y(0)}Z` }));
  root.append(svg('path', { class: 'line-answers', d: path('answers') }));
  root.append(svg('path', { class: 'line-finished', d: path('finished') }));
  root.append(svg('line', { class: 'axis', x1: m.l, x2: m.l + w, y1: m.t + h, y2: m.t + h }));
  const labels = Math.min(5, points.length);
  for (let i = 0; i < labels; i++) {
    const t = t0 + ((t1 - t0) * i) / Math.max(1, labels - 1);
    root.append(svg('text', { x: x(t), y: height - 8, 'text-anchor': i === 0 ? 'start' : i === labels - 1 ? 'end' : 'middle' }, hhmm(t, withSeconds)));
  }
  const last = points[points.length - 1];
  root.setAttribute('aria-label', `${last.answers} answers and ${last.finished} finished objects between ${hhmm(t0)} and ${hhmm(t1)}`);
  return root;
}

// Horizontal bars: rows [{label, count}], the longest bar is the largest count.
export function barChart(rows, { width = 520, alt = false } = {}) {
  const rowH = 26, m = { l: 130, r: 56 };
  const height = Math.max(1, rows.length) * rowH + 6;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img' });
  if (!rows.length) {
    const none = document.createElement('p');
    none.className = 'muted chart-empty';
    none.textContent = 'Nothing yet.';
    return none;
  }
  const max = Math.max(...rows.map((r) => r.count));
  const total = rows.reduce((s, r) => s + r.count, 0);
  rows.forEach((r, i) => {
    const yy = i * rowH + 4;
    const bw = ((width - m.l - m.r) * r.count) / max;
    const name = r.label.length > 20 ? `${r.label.slice(0, 19)}…` : r.label;
    const t = svg('text', { x: m.l - 8, y: yy + 15, 'text-anchor': 'end' }, name);
    t.append(svg('title', {}, r.label));
    root.append(t);
    root.append(svg('rect', { class: alt ? 'hbar alt' : 'hbar', x: m.l, y: yy + 3, width: Math.max(1, bw), height: rowH - 10, rx: 3 }));
    root.append(svg('text', { x: m.l + bw + 6, y: yy + 15 }, `${r.count} · ${Math.round((100 * r.count) / total)}%`));
  });
  root.setAttribute('aria-label', rows.map((r) => `${r.label}: ${r.count}`).join(', '));
  return root;
}
