// overflow: one campaign far over its new-session limit. CAMPAIGNS[0] admits LIMIT new sessions an
// hour (`replayd campaign create --sessions-per-hour LIMIT`); SESSIONS sessions try to record in it.
// Exactly LIMIT are admitted and every batch of theirs is 202 (complete sessions); every other session
// gets 429 session_refused on its first batch and stops, as the snippet does. Meanwhile CAMPAIGNS[1]
// (normal limits) records at CONTROL_RATE batches/s and must not notice.
// env: LIMIT (30), SESSIONS (120), VUS (10), CONTROL_RATE (20), PAUSE (s between batches, 0.1)
import { check, sleep } from 'k6';
import { Counter } from 'k6/metrics';
import { CAMPAIGNS, RUN_ID, Tab, loadRecordings, postBatch, trendStats, summary } from './lib.js';

const LIMIT = parseInt(__ENV.LIMIT || '30', 10);
const SESSIONS = parseInt(__ENV.SESSIONS || '120', 10);
const PAUSE = parseFloat(__ENV.PAUSE || '0.1');
const recordings = loadRecordings();
const form = recordings.find((r) => r.name === 'form.json');   // 5 batches a session

const admitted = new Counter('sessions_admitted');
const refused = new Counter('sessions_refused');
const incomplete = new Counter('sessions_incomplete');   // admitted, then a batch not 202
const wrongAnswer = new Counter('wrong_answers');        // neither 202 nor 429 session_refused on a first batch

export const options = {
  scenarios: {
    overflow: { executor: 'shared-iterations', exec: 'overflow', vus: parseInt(__ENV.VUS || '10', 10),
                iterations: SESSIONS, maxDuration: '5m' },
    control: { executor: 'constant-arrival-rate', exec: 'control', rate: parseInt(__ENV.CONTROL_RATE || '20', 10),
               timeUnit: '1s', duration: __ENV.CONTROL_DURATION || '20s', preAllocatedVUs: 10, maxVUs: 100 },
  },
  thresholds: {
    sessions_admitted: [`count==${LIMIT}`],
    sessions_refused: [`count==${SESSIONS - LIMIT}`],
    sessions_incomplete: ['count==0'],
    wrong_answers: ['count==0'],
    'checks{scenario:control}': ['rate==1'],
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
  },
  summaryTrendStats: trendStats,
};

export function overflow() {
  const campaign = CAMPAIGNS[0];
  const session = `${RUN_ID}-ov-${__VU}-${__ITER}`;
  const first = postBatch(campaign, session, 0, form.slices[0]);
  if (first.res.status === 429 && first.code === 'session_refused') {
    if (!first.res.headers['Retry-After']) wrongAnswer.add(1);
    refused.add(1);
    return;
  }
  if (first.res.status !== 202) { wrongAnswer.add(1); return; }
  admitted.add(1);
  for (let seq = 1; seq < form.slices.length; seq++) {
    sleep(PAUSE);
    const out = postBatch(campaign, session, seq, form.slices[seq]);
    if (out.res.status !== 202) { incomplete.add(1); return; }
  }
}

let tab = null;
export function control() {
  if (tab === null) tab = new Tab(recordings, 'oc', [CAMPAIGNS[1]]);
  const { res } = tab.step();
  check(res, { 'control campaign 202': (r) => r.status === 202 });
}

export const handleSummary = summary;
