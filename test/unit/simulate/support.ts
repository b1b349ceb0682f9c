import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The twenty shared examples with a p99 per interval and no latency histogram. */
export const SHARED_DIR = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'shared');
/** The same twenty kinds, each interval also carrying the latency histogram (latency_le_<ms>). */
export const SHARED_HISTOGRAM_DIR = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'shared-histogram');
export const INVALID_DIR = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'invalid');
/** Latency judged on the histogram: needs scenarios with buckets (SHARED_HISTOGRAM_DIR). */
export const CANARY_POLICY = path.join(ROOT, 'policies', 'examples', 'canary.yaml');
/** The same policy judging latency on one p99 per interval: reads every shared scenario. */
export const P99_POLICY = path.join(ROOT, 'policies', 'examples', 'canary-p99-only.yaml');
