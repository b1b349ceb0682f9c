// Pure and shared with workflow code (update validators), so it lives in src/model; re-exported here.
export * from '../model/credential-text';
