// liquidjs side of run.sh: parse once, renderSync N times, print renders/s.
// Usage: node bench.mjs TEMPLATE CONTEXT.json SECONDS
import { readFileSync } from 'node:fs';
import { Liquid } from 'liquidjs';

const [tmplPath, ctxPath, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 2);
const engine = new Liquid();
// Same contract as Plumbline's signer callback.
engine.registerFilter('grant_read_access', (uri) =>
  typeof uri === 'string' && uri.startsWith('s3://')
    ? 'https://plumbline.local/assets/' + uri.slice(5) + '?X-Sig=abc&X-Expires=900'
    : (uri ?? ''));
engine.registerFilter('to_json', (v) => JSON.stringify(v));
engine.registerFilter('skip_autoescape', (v) => v);
const tpl = engine.parse(readFileSync(tmplPath, 'utf8'));
const ctx = JSON.parse(readFileSync(ctxPath, 'utf8'));
let bytes = 0;
for (let i = 0; i < 200; i++) bytes = engine.renderSync(tpl, ctx).length;  // warm-up
let n = 0;
const start = process.hrtime.bigint();
const limit = BigInt(Math.round(seconds * 1e9));
let elapsed = 0n;
do {
  for (let i = 0; i < 100; i++) engine.renderSync(tpl, ctx);
  n += 100;
  elapsed = process.hrtime.bigint() - start;
} while (elapsed < limit);
const secs = Number(elapsed) / 1e9;
console.log(JSON.stringify({ engine: 'liquidjs', renders: n, seconds: secs, per_sec: n / secs, bytes }));
