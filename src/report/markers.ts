/** The markers' readers live with the history decoding in the client layer (src/client/history-markers.ts). */
export { localActivityMarker, patchIdOf, type LocalActivityMarker } from '../client/history-markers';
