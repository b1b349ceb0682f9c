// Pure and shared with workflow code, so it lives in src/model; re-exported for the security modules.
export * from '../model/identity';
