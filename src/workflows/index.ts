// The workflow bundle's entry: every workflow type the worker registers.
export { guardian } from './guardian';
export { release } from './release';
export { rollbackLock } from './rollback-lock';
export { tokenClaim } from './token-claim';
