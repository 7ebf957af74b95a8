// max: as many batches as the target takes, from a closed loop of VUS browser tabs (each records one
// session after another, batches in seq order, gzip as the snippet sends them). loadtest/box runs it
// against one Collector alone and against the whole fleet, for the box's end-to-end rate.
//
// With BODIES (a directory from loadtest/make-unique-bodies) every request sends a pre-gzipped body
// of its own (a different session and seq each: the pipeline does full work, nothing is an identical
// copy), so the client spends its CPU on HTTP, not on gzip. Each VU plays its own sessions, each in
// seq order (the generator interleaves them by VU); a batch that was not accepted is sent again.
// Without BODIES the tabs of lib.js are used.
// env: VUS (64), DURATION (30s), BODIES, and lib.js's.
import http from 'k6/http';
import encoding from 'k6/encoding';
import { SharedArray } from 'k6/data';
import { Tab, loadRecordings, record, events, trendStats, summary, TARGET } from './lib.js';

const VUS = parseInt(__ENV.VUS || '64', 10);
const recordings = __ENV.BODIES ? null : loadRecordings();
const bodies = __ENV.BODIES ? new SharedArray('bodies', () => JSON.parse(open(`${__ENV.BODIES}/unique-bodies.json`))) : null;

export const options = {
  scenarios: {
    max: { executor: 'constant-vus', vus: VUS, duration: __ENV.DURATION || '30s' },
  },
  thresholds: {
    // refusals are allowed at the limit (a 503 with Retry-After); anything else is not
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
  },
  summaryTrendStats: trendStats,
};

let tab = null;
let position = 0;   // this VU's next body: its (position)th, counting only accepted ones
export default function () {
  if (!bodies) {
    if (tab === null) tab = new Tab(recordings, 'mx');
    tab.step();
    return;
  }
  const index = (__VU - 1 + position * VUS) % bodies.length;   // wraps only if the set runs out
  const item = bodies[index];
  const res = http.post(`${TARGET}/v1/batch`, encoding.b64decode(item.b, 'std'), {
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Encoding': 'gzip' }, tags: { name: 'batch' },
  });
  record(res);
  if (res.status === 202) {
    console.log('EXPECT ' + item.x);
    events.add(JSON.parse(item.x).events);
    position++;
  }
}

export const handleSummary = summary;
