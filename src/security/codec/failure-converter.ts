import { DefaultFailureConverter } from '@temporalio/common';

/**
 * With payload encryption on, a failure's message and stack trace go into an
 * encoded payload (which the codec encrypts) instead of staying plain text in
 * history: they often quote what an outside system answered, deployment data
 * included. Loaded by path, as Temporal loads failure converters, so that the
 * worker, its workflow bundle and every client use the same one.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
