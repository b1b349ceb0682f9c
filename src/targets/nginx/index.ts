/** The nginx traffic target (shift-traffic, swap-blue-green) and its deploy-time helpers. */
export { NginxTrafficTarget } from './target';
export {
  NginxTargetConfig,
  type NginxTargetConfigInput,
  NginxServiceConfig,
  CanaryServiceConfig,
  BlueGreenServiceConfig,
  NginxProbeConfig,
  ProbeVersionSource,
  NginxConfigError,
  parseNginxTargetConfig,
} from './config';
export {
  setCanaryWeight,
  setLiveColour,
  readServiceState,
  probeService,
  NginxConfigRejectedError,
} from './service';
export {
  DEFAULT_NGINX_BINARY,
  NGINX_BINARY_ENV,
  type NginxInstance,
  NginxNotRunningError,
  NginxReloadError,
  NginxUnavailableError,
  readMasterPid,
  reloadNginx,
  resolveNginxBinary,
  testNginxConfig,
} from './control';
export { describeProbe, NO_VERSION, type ProbeResult } from './probe';
export {
  type Colour,
  describeState,
  interpretUpstream,
  parseUpstreams,
  renderUpstream,
  type UpstreamState,
} from './upstream';
