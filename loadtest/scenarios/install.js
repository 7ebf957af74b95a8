// install: install pings (POST /v1/install, once per page load from the snippet) from SITES sites in
// each campaign at a fixed rate; every ping 204. Iteration i pings site (i mod SITES) of campaign
// (i div SITES mod campaigns), so once RATE × DURATION ≥ SITES × campaigns every site was pinged and
// `replayd installs status` must count SITES sites in each campaign (the runner checks that).
// Campaigns are created with --install-pings-per-minute and --max-sites above the load.
// env: RATE (pings/s, 200), DURATION (30s), SITES (500)
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { CAMPAIGNS, TARGET, droppedLimit, record, trendStats, summary } from './lib.js';

const SITES = parseInt(__ENV.SITES || '500', 10);

export const options = {
  scenarios: {
    install: { executor: 'constant-arrival-rate', rate: parseInt(__ENV.RATE || '200', 10), timeUnit: '1s',
               duration: __ENV.DURATION || '30s', preAllocatedVUs: 50, maxVUs: 400 },
  },
  thresholds: {
    checks: ['rate==1'],
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    http_req_duration: [`p(99)<${__ENV.P99_MS || 1000}`],
    dropped_iterations: [droppedLimit(parseInt(__ENV.RATE || '200', 10), __ENV.DURATION || '30s')],
  },
  summaryTrendStats: trendStats,
};

export default function () {
  const i = exec.scenario.iterationInTest;
  const campaign = CAMPAIGNS[Math.floor(i / SITES) % CAMPAIGNS.length];
  const url = `https://site-${i % SITES}.example.com/checkout?step=${i % 5}`;
  const res = http.post(`${TARGET}/v1/install`, JSON.stringify({ key: campaign.key, url, version: '1.1.0' }),
                        { headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, responseType: 'text' });
  record(res);
  check(res, { 'ping 204': (r) => r.status === 204 });
}

export const handleSummary = summary;
