// steady: many sessions over many campaigns at a fixed arrival rate (also the smoke profile's load).
// env: RATE (batches/s, 100), DURATION (60s), VUS (pre-allocated, max(50, RATE)), P99_MS (1000), and lib.js's.
import { Tab, droppedLimit, loadRecordings, trendStats, summary } from './lib.js';

const RATE = parseInt(__ENV.RATE || '100', 10);
const DURATION = __ENV.DURATION || '60s';
const recordings = loadRecordings();

export const options = {
  scenarios: {
    // VUs for a second of requests in flight: a slow moment on a shared machine must not make k6
    // drop iterations while it starts more VUs
    steady: { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: DURATION,
              preAllocatedVUs: parseInt(__ENV.VUS || `${Math.max(50, RATE)}`, 10), maxVUs: Math.max(400, RATE * 4) },
  },
  thresholds: {
    // every batch accepted: no refusal of any kind at a rate the fleet is sized for
    checks: ['rate==1'],
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    http_req_duration: [`p(99)<${__ENV.P99_MS || 1000}`],
    dropped_iterations: [droppedLimit(RATE, DURATION)],
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
