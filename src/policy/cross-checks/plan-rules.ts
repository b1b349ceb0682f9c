import {
  STEPS_FOR_PATTERN,
  highestNewVersionWeight,
  trafficPauseSeconds,
  trafficStages,
} from '../plan-facts';
import { duplicateNames, type CrossIssue, type CrossRule } from './issue';

const stepsFitPattern: CrossRule = ({ steps, deployment }) => {
  if (deployment === undefined) return [];
  const { allowed } = STEPS_FOR_PATTERN[deployment.pattern];
  return steps
    .filter(({ value }) => !allowed.includes(value.type))
    .map(({ index, value }) => ({
      path: ['plan', 'steps', index, 'type'],
      message: `"${value.type}" cannot roll back a ${deployment.pattern} deployment`,
      expected: `one of: ${allowed.join(', ')}`,
    }));
};

const planRemovesNewVersion: CrossRule = ({ steps, stepsComplete, deployment }) => {
  if (deployment === undefined || !stepsComplete) return [];
  const needed = STEPS_FOR_PATTERN[deployment.pattern].removesNewVersion;
  if (steps.some(({ value }) => value.type === needed)) return [];
  return [
    {
      path: ['plan', 'steps'],
      message: `never takes the new version out of service: a ${deployment.pattern} rollback needs a "${needed}" step`,
      expected: `a step with type: ${needed}`,
      found: `steps of type ${steps.map(({ value }) => value.type).join(', ') || '(none)'}`,
    },
  ];
};

const trafficShiftWellFormed: CrossRule = ({ steps, deployment }) =>
  steps.flatMap(({ index, value: step }): CrossIssue[] => {
    if (step.type !== 'shift-traffic') return [];
    const path = ['plan', 'steps', index];
    if ((step.weights === undefined) === (step.stepPercent === undefined)) {
      return [
        {
          path,
          message: 'must say how traffic moves back: give either weights or stepPercent, not both or neither',
          expected: 'exactly one of weights, stepPercent',
          found:
            step.weights === undefined ? 'neither weights nor stepPercent' : 'both weights and stepPercent',
        },
      ];
    }
    const issues: CrossIssue[] = [];
    const weights = step.weights ?? [];
    weights.forEach((weight, i) => {
      const previous = weights[i - 1];
      if (previous !== undefined && weight >= previous) {
        issues.push({
          path: [...path, 'weights', i],
          message: 'must be lower than the weight before it: traffic moves back towards the baseline',
          expected: `a weight lower than ${previous}`,
        });
      }
    });
    if (weights.length > 0 && weights[weights.length - 1] !== 0) {
      issues.push({
        path: [...path, 'weights', weights.length - 1],
        message: 'the last weight must be 0, or the new version keeps serving traffic after the rollback',
        expected: '0',
      });
    }
    const pauses = trafficPauseSeconds(step, highestNewVersionWeight(deployment));
    if (issues.length === 0 && pauses >= step.timeoutSeconds) {
      issues.push({
        path: [...path, 'timeoutSeconds'],
        message: `is too short for the ${trafficStages(step, highestNewVersionWeight(deployment)).length} stages: their pauses alone take ${pauses}s`,
        expected: `more than ${pauses} seconds`,
      });
    }
    return issues;
  });

const migrationsRunnableOrLast: CrossRule = ({ steps, stepCount }) =>
  steps.flatMap(({ index, value: step }): CrossIssue[] => {
    if (step.type !== 'down-migration') return [];
    if (step.reversible && step.connectionSecret === undefined) {
      return [
        {
          path: ['plan', 'steps', index, 'connectionSecret'],
          message: 'is required for a reversible migration: ripcord runs the down-migration itself',
          expected: 'a secret reference like ${secret:NAME}',
        },
      ];
    }
    if (!step.reversible && stepCount !== undefined && index < stepCount - 1) {
      return [
        {
          path: ['plan', 'steps', index],
          message:
            'is an irreversible migration, which freezes the plan and escalates, so the steps after it would never run; make it the last step',
          expected: 'the irreversible migration as the last step',
          found: `step ${index + 1} of ${stepCount}`,
        },
      ];
    }
    return [];
  });

const uniqueStepNames: CrossRule = ({ steps }) =>
  duplicateNames(
    steps,
    (s) => s.name,
    (i) => ['plan', 'steps', i, 'name'],
    'step',
  );

export const planRules: CrossRule[] = [
  stepsFitPattern,
  planRemovesNewVersion,
  trafficShiftWellFormed,
  migrationsRunnableOrLast,
  uniqueStepNames,
];
