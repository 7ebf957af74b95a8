// bad-input: malformed, invalid, oversize (plain and gzip bomb), unknown keys, foreign origins, a
// paused campaign, unsupported encodings and types, wrong methods, bad install pings - each must get
// its own documented 4xx and error code (docs/openapi.yaml, Sources/Collector/CollectorError.swift),
// never a 5xx - interleaved with valid batches from an allowed origin, which must all be 202.
// CAMPAIGNS[0]: origin https://shop.example.com; CAMPAIGNS[1]: paused. BODIES: bomb.json.gz (17 MiB
// of JSON whitespace, gzipped) and plain.json (the same, not compressed).
// env: RATE (requests/s, 20), DURATION (30s)
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { CAMPAIGNS, TARGET, Tab, loadRecordings, record, trendStats, summary } from './lib.js';

const recordings = loadRecordings();
const bomb = open(`${__ENV.BODIES}/bomb.json.gz`, 'b');
const plain = open(`${__ENV.BODIES}/plain.json`, 'b');
const wrongAnswers = new Counter('wrong_answers');
const valid = new Counter('valid_batches');

const A = CAMPAIGNS[0], PAUSED = CAMPAIGNS[1];
const ALLOWED = 'https://shop.example.com', FOREIGN = 'https://evil.example.net';
const UNKNOWN = 'pk_nobody0000000000';
const text = { 'Content-Type': 'text/plain;charset=UTF-8' };
const env = (key, extra) => `{"key":"${key}","session":"bad-${__VU}-${__ITER}","seq":0,"events":[{"type":4,"timestamp":${Date.now()},"data":{"href":"${ALLOWED}/","width":1280,"height":800}}]${extra || ''}}`;

// name → [request, expected status, expected error code]
const cases = [
  ['malformed JSON', () => http.post(`${TARGET}/v1/batch`, `{"key":"${A.key}","session":"x","seq":0,"events":[{"type":2,`, { headers: text }), 400, 'malformed_batch'],
  ['no events', () => http.post(`${TARGET}/v1/batch`, env(A.key).replace(/"events":\[.*\]/, '"events":[]'), { headers: text }), 400, 'invalid_field'],
  ['negative seq', () => http.post(`${TARGET}/v1/batch`, env(A.key).replace('"seq":0', '"seq":-1'), { headers: text }), 400, 'invalid_field'],
  ['timestamp out of skew', () => http.post(`${TARGET}/v1/batch`, env(A.key).replace(/"timestamp":\d+/, '"timestamp":1000'), { headers: text }), 400, 'invalid_field'],
  ['key differs from the URL', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, env(PAUSED.key), { headers: text }), 400, 'invalid_field'],
  ['not gzip', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, env(A.key), { headers: Object.assign({ 'Content-Encoding': 'gzip' }, text) }), 400, 'malformed_batch'],
  ['gzip bomb', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, bomb, { headers: Object.assign({ 'Content-Encoding': 'gzip' }, text) }), 413, 'payload_too_large'],
  ['17 MiB body', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, plain, { headers: text }), 413, 'payload_too_large'],
  ['unknown key (URL)', () => http.post(`${TARGET}/v1/batch?key=${UNKNOWN}`, env(UNKNOWN), { headers: text }), 401, 'unknown_key'],
  ['unknown key (body)', () => http.post(`${TARGET}/v1/batch`, env(UNKNOWN), { headers: text }), 401, 'unknown_key'],
  ['foreign origin (URL key)', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, env(A.key), { headers: Object.assign({ Origin: FOREIGN }, text) }), 403, 'origin_not_allowed'],
  ['foreign origin (body key)', () => http.post(`${TARGET}/v1/batch`, env(A.key), { headers: Object.assign({ Origin: FOREIGN }, text) }), 403, 'origin_not_allowed'],
  ['paused campaign', () => http.post(`${TARGET}/v1/batch?key=${PAUSED.key}`, env(PAUSED.key), { headers: text }), 403, 'campaign_paused'],
  ['Content-Encoding br', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, env(A.key), { headers: Object.assign({ 'Content-Encoding': 'br' }, text) }), 415, 'unsupported_encoding'],
  ['Content-Type image/png', () => http.post(`${TARGET}/v1/batch?key=${A.key}`, env(A.key), { headers: { 'Content-Type': 'image/png' } }), 415, 'unsupported_media_type'],
  ['GET /v1/batch', () => http.get(`${TARGET}/v1/batch`), 405, 'method_not_allowed'],
  ['install: not JSON', () => http.post(`${TARGET}/v1/install`, 'not json', { headers: text }), 400, 'malformed_ping'],
  ['install: unknown key', () => http.post(`${TARGET}/v1/install`, JSON.stringify({ key: UNKNOWN, url: `${ALLOWED}/x` }), { headers: text }), 401, 'unknown_key'],
  ['install: foreign site', () => http.post(`${TARGET}/v1/install`, JSON.stringify({ key: A.key, url: `${FOREIGN}/x` }), { headers: text }), 403, 'origin_not_allowed'],
  ['install: oversize', () => http.post(`${TARGET}/v1/install`, plain, { headers: text }), 413, 'payload_too_large'],
];

export const options = {
  scenarios: {
    bad: { executor: 'constant-arrival-rate', rate: parseInt(__ENV.RATE || '20', 10), timeUnit: '1s',
           duration: __ENV.DURATION || '30s', preAllocatedVUs: 10, maxVUs: 50 },
  },
  thresholds: {
    wrong_answers: ['count==0'],
    checks: ['rate==1'],
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
    status_500: ['count==0'], status_502: ['count==0'], status_503: ['count==0'], status_504: ['count==0'],
  },
  summaryTrendStats: trendStats,
};

let tab = null;
export default function () {
  const i = exec.scenario.iterationInTest;
  if (i % 2 === 0) {
    // every other request is a valid batch from an allowed page
    if (tab === null) tab = new Tab(recordings, 'bi', [A], { Origin: ALLOWED });
    const { res } = tab.step();
    valid.add(1);
    check(res, { 'valid batch 202': (r) => r.status === 202 });
    return;
  }
  const [name, send, status, code] = cases[((i - 1) / 2) % cases.length];
  const res = send();
  const got = record(res);
  const ok = res.status === status && got === code;
  if (!ok) {
    wrongAnswers.add(1, { case: name });
    console.log(`WRONG ${name}: expected ${status} ${code}, got ${res.status} ${got}`);
  }
  check(res, { [`${name}: ${status} ${code}`]: () => ok });
}

export const handleSummary = summary;
