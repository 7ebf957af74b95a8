// k6 load script for the Collector: POSTs gzip batches built from the real rrweb fixtures, for many
// sessions across several campaigns, exactly as the snippet does.
//
// env: TARGET (base URL), KEYS (comma-separated campaign public keys), FIXTURES (dir),
//      MODE = max | rate, VUS, DURATION, RATE (req/s for MODE=rate), BATCH (events per batch)
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const TARGET = __ENV.TARGET || 'http://127.0.0.1:8080';
const KEYS = (__ENV.KEYS || 'pk_missing').split(',');
const FIXTURES = __ENV.FIXTURES || '../../shared/fixtures/rrweb';
const BATCH = parseInt(__ENV.BATCH || '20', 10);
const MODE = __ENV.MODE || 'max';
const events = new Counter('replayd_events');

// With BODIES (a directory from loadtest/make-bodies) the client sends pre-gzipped bodies and does
// almost no work per request; otherwise it builds bodies from the recordings and gzips per request.
const BODIES = __ENV.BODIES || '';
const prebuilt = BODIES ? JSON.parse(open(`${BODIES}/index.json`)).map((b) => ({ events: b.events, body: open(`${BODIES}/${b.file}`, 'b') })) : null;
const slices = [];
if (!prebuilt) {
  for (const name of ['form.json', 'dashboard.json', 'long.json', 'article.json']) {
    const recording = JSON.parse(open(`${FIXTURES}/${name}`));
    for (let i = 0; i < recording.length; i += BATCH) slices.push(recording.slice(i, i + BATCH));
  }
}

export const options = MODE === 'rate' ? {
  scenarios: { rate: { executor: 'constant-arrival-rate', rate: parseInt(__ENV.RATE || '1000', 10), timeUnit: '1s',
                       duration: __ENV.DURATION || '15s', preAllocatedVUs: parseInt(__ENV.VUS || '64', 10), maxVUs: 256 } },
  thresholds: { http_req_failed: ['rate<0.01'] },
  discardResponseBodies: true,
} : {
  scenarios: { max: { executor: 'constant-vus', vus: parseInt(__ENV.VUS || '64', 10), duration: __ENV.DURATION || '15s' } },
  thresholds: { http_req_failed: ['rate<0.01'] },
  discardResponseBodies: true,
};

// Each VU builds its bodies once (20 sessions × 10 batches, timestamps moved to now) and cycles through
// them, so the client spends its CPU on HTTP, not on JSON: the same bodies go to the ceiling and to
// replayd. Re-sent batches are duplicates the pipeline de-duplicates downstream, as in production.
let bodies = null;
function build() {
  const list = [];
  const now = Date.now();
  for (let s = 0; s < 20; s++) {
    const session = `k6-${__VU}-${s}-${Math.floor(Math.random() * 1e9)}`;
    for (let seq = 0; seq < 10; seq++) {
      const slice = slices[(__VU * 7 + s * 10 + seq) % slices.length];
      const shift = now - slice[0].timestamp;
      const shifted = slice.map((e) => Object.assign({}, e, { timestamp: e.timestamp + shift }));
      list.push({ count: shifted.length, body: JSON.stringify({ key: KEYS[(__VU + s) % KEYS.length], session, seq, events: shifted,
        page: { url: 'https://shop.example.com/checkout', width: 1280, height: 800 } }) });
    }
  }
  return list;
}

export default function () {
  if (prebuilt) {
    const item = prebuilt[(__VU * 31 + __ITER) % prebuilt.length];
    const res = http.post(`${TARGET}/v1/batch`, item.body, {
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    });
    if (check(res, { 'status is 202': (r) => r.status === 202 })) events.add(item.events);
    return;
  }
  if (bodies === null) bodies = build();
  const item = bodies[__ITER % bodies.length];
  const res = http.post(`${TARGET}/v1/batch`, item.body, {
    headers: { 'Content-Type': 'application/json' }, compression: 'gzip',
  });
  if (check(res, { 'status is 202': (r) => r.status === 202 })) events.add(item.count);
}
