import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SHARED_DIR = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'shared');
export const INVALID_DIR = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'invalid');
export const CANARY_POLICY = path.join(ROOT, 'policies', 'examples', 'canary.yaml');
