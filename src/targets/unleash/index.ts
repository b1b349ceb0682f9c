/** The `disable-flag` target on Unleash, and the record it keeps on each flag it touches. */
export { UnleashFlagTarget, type UnleashFlagTargetOptions } from './target';
export { UnleashTargetConfig, type UnleashTargetConfigInput } from './config';
export { RECORD_TAG_TYPE } from './rollback-record';
