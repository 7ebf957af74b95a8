// big-snapshots: sessions whose first batch is a 4-16 MiB full snapshot, gzipped (bodies built by
// loadtest/make-snapshots into BODIES). Each session's batches go in order; every one must be 202
// (a 503 with Retry-After when the Collectors' batch bytes in flight are spent is sent again).
// env: BODIES (dir with index.json), VUS (4), P99_MS (20000)
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { TARGET, record, trendStats, summary } from './lib.js';

const BODIES = __ENV.BODIES;
const index = JSON.parse(open(`${BODIES}/index.json`));
const sessions = [];
for (const item of index) {
  let s = sessions.find((x) => x.session === item.session);
  if (!s) { s = { session: item.session, batches: [] }; sessions.push(s); }
  s.batches.push(Object.assign({ body: open(`${BODIES}/${item.file}`, 'b') }, item));
}

export const options = {
  scenarios: {
    big: { executor: 'shared-iterations', vus: Math.min(parseInt(__ENV.VUS || '4', 10), sessions.length), iterations: sessions.length, maxDuration: '10m' },
  },
  thresholds: {
    checks: ['rate==1'],
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    http_req_duration: [`p(99)<${__ENV.P99_MS || 20000}`],
  },
  summaryTrendStats: trendStats,
};

export default function () {
  const s = sessions[exec.scenario.iterationInTest];
  for (const b of s.batches) {
    let res;
    for (let attempt = 0; attempt < 10; attempt++) {
      res = http.post(`${TARGET}/v1/batch?key=${b.key}`, b.body, {
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, responseType: 'text',
        timeout: '120s', tags: { name: b.seq === 0 ? 'snapshot' : 'batch' },
      });
      record(res);
      if (!(res.status === 503 && res.headers['Retry-After'])) break;
      sleep(parseInt(res.headers['Retry-After'], 10));
    }
    if (res.status === 202) {
      console.log('EXPECT ' + JSON.stringify({ campaign: b.campaign, session: b.session, seq: b.seq, events: b.events, sha256: b.sha256 }));
    }
    check(res, { 'batch 202': (r) => r.status === 202 });
  }
}

export const handleSummary = summary;
