// max: as many batches as the target takes, from a closed loop of VUS tabs (each records one session
// after another, batches in seq order, gzip as the snippet sends them). loadtest/box runs it against
// one Collector alone and against the whole fleet, for the box's end-to-end rate.
// env: VUS (64), DURATION (30s), and lib.js's.
import { Tab, loadRecordings, trendStats, summary } from './lib.js';

const recordings = loadRecordings();

export const options = {
  scenarios: {
    max: { executor: 'constant-vus', vus: parseInt(__ENV.VUS || '64', 10), duration: __ENV.DURATION || '30s' },
  },
  thresholds: {
    // refusals are allowed at the limit (a 503 with Retry-After); anything else is not
    unexpected_5xx: ['count==0'],
    transport_errors: ['count==0'],
  },
  summaryTrendStats: trendStats,
};

let tab = null;
export default function () {
  if (tab === null) tab = new Tab(recordings, 'mx');
  tab.step();
}

export const handleSummary = summary;
