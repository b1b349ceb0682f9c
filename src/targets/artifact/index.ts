/** The `revert-artifact` target for services run as local processes, and the release layout it reads. */
export { ArtifactTarget, type ArtifactTargetOptions } from './target';
export {
  ArtifactTargetConfig,
  type ArtifactTargetConfigInput,
  LocalProcessService,
  RestartCommand,
  RestartSignal,
  parseArtifactTargetConfig,
} from './config';
export { directoryDigest, releaseFiles, MANIFEST_FILE, ReleaseContentError } from './digest';
export {
  activateRelease,
  createRelease,
  currentLink,
  currentVersion,
  findReleaseByDigest,
  listReleases,
  readManifest,
  releaseDir,
  releasesRoot,
  serviceDir,
  signatureFile,
  signRelease,
  ReleaseManifest,
  type ActivateReleaseOptions,
  type CreateReleaseOptions,
  type Release,
  type ReleaseFiles,
  type ReleaseLookup,
  type SignReleaseOptions,
} from './releases';
export { readRunningVersion, type RunningVersion, type VersionReading } from './running-version';
export type { ArtifactJournalEntry, ReleaseRef } from './step-journal';
