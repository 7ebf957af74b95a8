// spike: the steady rate, then 10× it for 30 s, then back. Every answer is 202 or a documented 503
// with Retry-After (the Collectors' batch bytes in flight, or the broker falling behind); the Tab
// sends a refused batch again, so what the spike could not take at once still arrives.
// env: RATE (steady batches/s, 30), BEFORE (20s), SPIKE (30s), AFTER (30s), P99_MS (3000)
import { check } from 'k6';
import { Tab, droppedLimit, loadRecordings, seconds, trendStats, summary } from './lib.js';

const RATE = parseInt(__ENV.RATE || '30', 10);
const BEFORE = __ENV.BEFORE || '20s', SPIKE = __ENV.SPIKE || '30s', AFTER = __ENV.AFTER || '30s';
const recordings = loadRecordings();

export const options = {
  scenarios: {
    // the base rate over the whole run, and 9× more on top of it during the spike
    base: { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s',
            duration: `${seconds(BEFORE) + seconds(SPIKE) + seconds(AFTER)}s`, preAllocatedVUs: Math.max(50, RATE), maxVUs: Math.max(400, RATE * 4) },
    // VUs for a second of the spike's requests in flight, allocated before it starts
    spike: { executor: 'constant-arrival-rate', rate: RATE * 9, timeUnit: '1s', startTime: BEFORE, duration: SPIKE,
             preAllocatedVUs: RATE * 9, maxVUs: RATE * 36 },
  },
  thresholds: {
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    // only 202 or 503 (with Retry-After, counted as acceptable above)
    checks: ['rate==1'],
    'checks{scenario:base}': ['rate==1'],
    http_req_duration: [`p(99)<${__ENV.P99_MS || 3000}`],
    // the spike really was 10×: k6 started (almost) every planned request
    dropped_iterations: [droppedLimit(RATE, `${seconds(BEFORE) + seconds(SPIKE) * 10 + seconds(AFTER)}s`)],
  },
  summaryTrendStats: trendStats,
};

let tab = null;
export default function () {
  if (tab === null) tab = new Tab(recordings, 'sp');
  const { res } = tab.step();
  check(res, { '202, or 503 with Retry-After': (r) => r.status === 202 || (r.status === 503 && !!r.headers['Retry-After']) });
}

export const handleSummary = summary;
