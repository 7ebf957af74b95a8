// spike: the steady rate, then 10× it for 30 s, then back. Every answer is 202 or a documented 503
// with Retry-After (the Collectors' batch bytes in flight, or the broker falling behind); the Tab
// sends a refused batch again, so what the spike could not take at once still arrives.
// env: RATE (steady batches/s, 100), BEFORE (20s), SPIKE (30s), AFTER (30s), P99_MS (3000)
import { check } from 'k6';
import { Tab, loadRecordings, trendStats, summary } from './lib.js';

const RATE = parseInt(__ENV.RATE || '100', 10);
const BEFORE = __ENV.BEFORE || '20s', SPIKE = __ENV.SPIKE || '30s', AFTER = __ENV.AFTER || '30s';
const recordings = loadRecordings();
const seconds = (d) => parseInt(d, 10);

export const options = {
  scenarios: {
    // the base rate over the whole run, and 9× more on top of it during the spike
    base: { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s',
            duration: `${seconds(BEFORE) + seconds(SPIKE) + seconds(AFTER)}s`, preAllocatedVUs: 50, maxVUs: 400 },
    spike: { executor: 'constant-arrival-rate', rate: RATE * 9, timeUnit: '1s', startTime: BEFORE, duration: SPIKE,
             preAllocatedVUs: 60, maxVUs: 1000 },
  },
  thresholds: {
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    // only 202 or 503 (with Retry-After, counted as acceptable above)
    checks: ['rate==1'],
    'checks{scenario:base}': ['rate==1'],
    http_req_duration: [`p(99)<${__ENV.P99_MS || 3000}`],
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
