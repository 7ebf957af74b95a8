// k6 load script for the install ping (POST /v1/install), as the snippet sends it once per page load,
// from many sites of several campaigns.
// env: TARGET, KEYS (comma-separated), SITES (distinct hosts per campaign), VUS, DURATION
import http from 'k6/http';
import { check } from 'k6';

const TARGET = __ENV.TARGET || 'http://127.0.0.1:8080';
const KEYS = (__ENV.KEYS || 'pk_missing').split(',');
const SITES = parseInt(__ENV.SITES || '5000', 10);

export const options = {
  scenarios: { max: { executor: 'constant-vus', vus: parseInt(__ENV.VUS || '64', 10), duration: __ENV.DURATION || '15s' } },
  thresholds: { http_req_failed: ['rate<0.01'] },
  discardResponseBodies: true,
};

export default function () {
  const site = Math.floor(Math.random() * SITES);
  const body = JSON.stringify({ key: KEYS[__VU % KEYS.length], url: `https://site-${site}.example.com/checkout?step=${__ITER % 5}`,
                                version: '1.0.0' });
  const res = http.post(`${TARGET}/v1/install`, body, { headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  check(res, { 'status is 204': (r) => r.status === 204 });
}
