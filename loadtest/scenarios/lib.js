// What the fleet scenarios share (loadtest/run starts them; see loadtest/scenarios/README.md):
// the real rrweb recordings cut into batches with timestamps moved to now, sessions that send their
// batches in order, per-status counters, and one expectation line per 202 for `replayd audit --expect`.
//
// env: TARGET (the fleet's load balancer), CAMPAIGNS (JSON [{id,key}]), FIXTURES (dir), RUN_ID,
//      SUMMARY_FILE (where handleSummary writes k6's JSON summary)
import http from 'k6/http';
import crypto from 'k6/crypto';
import { Counter } from 'k6/metrics';
import { SharedArray } from 'k6/data';

export const TARGET = __ENV.TARGET || 'http://127.0.0.1:18400';
export const RUN_ID = __ENV.RUN_ID || 'run';
export const CAMPAIGNS = JSON.parse(__ENV.CAMPAIGNS || '[]');
const FIXTURES = __ENV.FIXTURES || '../../../shared/fixtures/rrweb';
const BATCH = parseInt(__ENV.BATCH || '20', 10);
const PAGE = ',"page":{"url":"https://shop.example.com/checkout","width":1280,"height":800}';

export const trendStats = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

/// Seconds of a k6 duration such as '60s', '2m' or '1m30s'.
export function seconds(duration) {
  let total = 0;
  for (const [, n, unit] of String(duration).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += parseFloat(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit];
  }
  return total;
}

/// At most 1 % of the iterations an arrival-rate run plans may be dropped (k6 drops one when no VU is
/// free to start it): beyond that the load generator, not the fleet, set the rate.
export function droppedLimit(ratePerSecond, duration) {
  return `count<=${Math.ceil(ratePerSecond * seconds(duration) * 0.01)}`;
}

// Statuses the fleet may answer, each counted on its own so the summary lists them.
const STATUSES = [0, 202, 204, 400, 401, 403, 404, 405, 408, 411, 413, 415, 429, 500, 502, 503, 504];
const statusCounters = {};
for (const s of STATUSES) statusCounters[s] = new Counter(`status_${s}`);
const otherStatus = new Counter('status_other');
// 5xx other than a documented 503 with Retry-After, and transport errors: never acceptable.
export const unexpected5xx = new Counter('unexpected_5xx');
export const transportErrors = new Counter('transport_errors');
export const events = new Counter('events_accepted');

/// Counts a response; returns its error code (`error.code` of the body) when it has one.
export function record(res) {
  (statusCounters[res.status] || otherStatus).add(1);
  if (res.status === 0) transportErrors.add(1);
  if (res.status >= 500 && !(res.status === 503 && res.headers['Retry-After'])) unexpected5xx.add(1);
  if (res.status >= 400 && typeof res.body === 'string') {
    try { return JSON.parse(res.body).error.code; } catch (e) { return 'unparsable'; }
  }
  return null;
}

/// One line for `replayd audit --expect`: the batch a 202 acknowledged. `sha256` is over the events
/// array's text exactly as sent (what the audit hashes), `events` its number of elements.
export function expect(campaign, session, seq, slice) {
  console.log('EXPECT ' + JSON.stringify({ campaign: campaign.id, session, seq, events: slice.count, sha256: slice.sha256 }));
}

// The recordings, each cut into batches of BATCH events, timestamps moved so the recording starts
// now. Built once for the whole test (a SharedArray: the VUs' init stays cheap, so the arrival-rate
// executors can add VUs mid-test without the client stalling); each slice keeps the events array's
// text and its digest, so a request costs the client only string concatenation and gzip.
const sharedSlices = new SharedArray('slices', function () {
  const now = Date.now();
  const out = [];
  for (const [r, name] of ['form.json', 'dashboard.json', 'long.json', 'article.json'].entries()) {
    const all = JSON.parse(open(`${FIXTURES}/${name}`));
    const shift = now - all[0].timestamp;
    for (let i = 0; i < all.length; i += BATCH) {
      const part = all.slice(i, i + BATCH).map((e) => Object.assign({}, e, { timestamp: e.timestamp + shift }));
      const text = JSON.stringify(part);
      out.push({ recording: r, name, text, count: part.length, sha256: crypto.sha256(text, 'hex') });
    }
  }
  return out;
});

/// The recordings: [{name, slices}] where slices[seq] is read from the shared array on first use.
export function loadRecordings() {
  const recordings = [];
  for (let i = 0; i < sharedSlices.length; i++) {
    const item = sharedSlices[i];
    let rec = recordings[item.recording];
    if (!rec) rec = recordings[item.recording] = { name: item.name, slices: [] };
    rec.slices.push(item);
  }
  return recordings;
}

export function batchBody(key, session, seq, slice) {
  return `{"key":"${key}","session":"${session}","seq":${seq},"events":${slice.text}${PAGE}}`;
}

/// POSTs one batch (gzip, as the snippet sends it) and writes its expectation on 202.
export function postBatch(campaign, session, seq, slice, extraHeaders) {
  const res = http.post(`${TARGET}/v1/batch?key=${campaign.key}`, batchBody(campaign.key, session, seq, slice), {
    headers: Object.assign({ 'Content-Type': 'text/plain;charset=UTF-8' }, extraHeaders || {}),
    compression: 'gzip', responseType: 'text', tags: { name: 'batch' },
  });
  const code = record(res);
  if (res.status === 202) { expect(campaign, session, seq, slice); events.add(slice.count); }
  return { res, code };
}

/// A browser tab per VU: it records one session after another, each a whole recording, sending the
/// batches in seq order. A batch that was not accepted is sent again on the VU's next turn (after
/// 429/503 the snippet honours Retry-After; the arrival-rate executors pace the retries here).
export class Tab {
  constructor(recordings, tag, campaigns, headers) {
    this.recordings = recordings;
    this.tag = tag;
    this.campaigns = campaigns || CAMPAIGNS;
    this.headers = headers;
    this.count = 0;
    this.next();
  }

  next() {
    const n = this.count++;
    this.recording = this.recordings[(__VU + n) % this.recordings.length];
    this.campaign = this.campaigns[(__VU * 31 + n) % this.campaigns.length];
    this.session = `${RUN_ID}-${this.tag}-${__VU}-${n}`;
    this.seq = 0;
  }

  step() {
    const slice = this.recording.slices[this.seq];
    const out = postBatch(this.campaign, this.session, this.seq, slice, this.headers);
    if (out.res.status === 202) {
      this.seq++;
      if (this.seq >= this.recording.slices.length) this.next();
    } else if (out.code === 'session_refused') {
      this.next(); // the snippet stops recording a refused session
    }
    return out;
  }
}

/// handleSummary for every scenario: k6's JSON summary to SUMMARY_FILE (the runner reads it) and
/// one line to stdout.
export function summary(data) {
  const m = data.metrics;
  const d = (m.http_req_duration || {}).values || {};
  const failed = Object.entries(m).filter(([, v]) => v.thresholds && Object.values(v.thresholds).some((t) => !t.ok)).map(([k]) => k);
  const line = `requests ${((m.http_reqs || {}).values || {}).count || 0}, p99 ${(d['p(99)'] || 0).toFixed(1)} ms, thresholds ${failed.length ? 'FAILED: ' + failed.join(', ') : 'ok'}\n`;
  const out = { stdout: line };
  if (__ENV.SUMMARY_FILE) out[__ENV.SUMMARY_FILE] = JSON.stringify(data);
  return out;
}
