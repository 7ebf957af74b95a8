// steady: many sessions over many campaigns at a fixed arrival rate (also the smoke profile's load).
// env: RATE (batches/s, 100), DURATION (60s), VUS (pre-allocated, 50), P99_MS (1000), and lib.js's.
import { Tab, loadRecordings, trendStats, summary } from './lib.js';

const RATE = parseInt(__ENV.RATE || '100', 10);
const recordings = loadRecordings();

export const options = {
  scenarios: {
    steady: { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: __ENV.DURATION || '60s',
              preAllocatedVUs: parseInt(__ENV.VUS || '50', 10), maxVUs: 400 },
  },
  thresholds: {
    // every batch accepted: no refusal of any kind at a rate the fleet is sized for
    checks: ['rate==1'],
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    http_req_duration: [`p(99)<${__ENV.P99_MS || 1000}`],
    dropped_iterations: [`count<=${Math.ceil(RATE * 0.01)}`],
  },
  summaryTrendStats: trendStats,
};

import { check } from 'k6';
let tab = null;
export default function () {
  if (tab === null) tab = new Tab(recordings, 'st');
  const { res } = tab.step();
  check(res, { 'batch 202': (r) => r.status === 202 });
}

export const handleSummary = summary;
