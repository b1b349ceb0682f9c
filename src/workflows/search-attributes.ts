import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Typed keys of the search attributes registered from temporal-config/search-attributes.json;
 * the guardian publishes them so people find a deployment in the Web UI and `list`.
 */
export const RipcordService = defineSearchAttributeKey('RipcordService', SearchAttributeType.KEYWORD);
export const RipcordEnvironment = defineSearchAttributeKey('RipcordEnvironment', SearchAttributeType.KEYWORD);
export const RipcordVersion = defineSearchAttributeKey('RipcordVersion', SearchAttributeType.KEYWORD);
export const RipcordPhase = defineSearchAttributeKey('RipcordPhase', SearchAttributeType.KEYWORD);
export const RipcordOutcome = defineSearchAttributeKey('RipcordOutcome', SearchAttributeType.KEYWORD);
export const RipcordRisk = defineSearchAttributeKey('RipcordRisk', SearchAttributeType.KEYWORD);
export const RipcordDeploymentId = defineSearchAttributeKey(
  'RipcordDeploymentId',
  SearchAttributeType.KEYWORD,
);
