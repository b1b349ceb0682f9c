import type { RiskRule } from '../schema/governance';
import { duplicateNames, type CrossIssue, type CrossRule } from './issue';

// If the window closes before a regression could even be confirmed, automatic rollback is a promise never kept.
const windowOutlastsConfirmation: CrossRule = ({ rollbackWindow, evaluation }) => {
  if (rollbackWindow === undefined || evaluation === undefined) return [];
  const earliest =
    evaluation.warmupSeconds + evaluation.intervalSeconds + evaluation.confirmationWindowSeconds;
  if (rollbackWindow.automaticSeconds > earliest) return [];
  return [
    {
      path: ['rollbackWindow', 'automaticSeconds'],
      message: `ends before the first rollback could be confirmed (warm-up ${evaluation.warmupSeconds}s + one interval ${evaluation.intervalSeconds}s + confirmation ${evaluation.confirmationWindowSeconds}s)`,
      expected: `more than ${earliest} seconds`,
    },
  ];
};

const previousColourOutlastsWindow: CrossRule = ({ rollbackWindow, deployment }) => {
  if (rollbackWindow === undefined || deployment?.pattern !== 'blue-green') return [];
  if (rollbackWindow.automaticSeconds <= deployment.keepPreviousSeconds) return [];
  return [
    {
      path: ['rollbackWindow', 'automaticSeconds'],
      message: `outlasts deployment.keepPreviousSeconds (${deployment.keepPreviousSeconds}s): once the previous colour is gone there is nothing to swap back to`,
      expected: `at most ${deployment.keepPreviousSeconds} seconds`,
    },
  ];
};

function coversMigrations(rule: RiskRule): boolean {
  return (
    rule.when === 'always' ||
    rule.when === 'touches-migration' ||
    (rule.when === 'step-type' && rule.stepTypes.includes('down-migration'))
  );
}

// A schema change cannot be taken back as easily as traffic: a person must look before it runs.
const migrationsAreHighRisk: CrossRule = ({ steps, risk }) => {
  if (risk === undefined || !steps.some(({ value }) => value.type === 'down-migration')) return [];
  if (risk.highRiskWhen.some(coversMigrations)) return [];
  return [
    {
      path: ['risk', 'highRiskWhen'],
      message: 'must make a plan with a down-migration high-risk, so that a person approves it',
      expected: 'a rule "- when: touches-migration"',
      found:
        risk.highRiskWhen.length === 0
          ? 'no rules'
          : `rules: ${risk.highRiskWhen.map((r) => r.when).join(', ')}`,
    },
  ];
};

const approvalDefinedWhenNeeded: CrossRule = ({ risk, mode, approval }) => {
  if (approval !== 'absent') return [];
  const reasons: string[] = [];
  if (risk !== undefined && risk.highRiskWhen.length > 0)
    reasons.push('risk.highRiskWhen can make a rollback high-risk');
  if (mode === 'pause') reasons.push('mode "pause" holds every rollback for a person');
  if (reasons.length === 0) return [];
  return [
    {
      path: ['approval'],
      message: `is required because ${reasons.join(' and ')}`,
      expected: 'an approval section with roles, quorum, timeoutSeconds and onTimeout',
    },
  ];
};

const approvalsVerifiable: CrossRule = ({ approval, trustedKeys }) => {
  if (approval === undefined || approval === 'absent' || trustedKeys === undefined) return [];
  if (trustedKeys.approvals.length > 0) return [];
  return [
    {
      path: ['trustedKeys', 'approvals'],
      message: 'lists no key, so no signed approval could ever be verified',
      expected: 'at least one key id',
      found: 'an empty list',
    },
  ];
};

const approvalSatisfiable: CrossRule = ({ approval, metadata }) => {
  if (approval === undefined || approval === 'absent') return [];
  const issues: CrossIssue[] = [];
  if (approval.distinctRoles && approval.quorum > approval.roles.length) {
    issues.push({
      path: ['approval', 'quorum'],
      message: `can never be met: each approval must come from a different role and only ${approval.roles.length} role(s) may approve`,
      expected: `at most ${approval.roles.length}`,
    });
  }
  issues.push(
    ...duplicateNames(
      approval.roles.map((value, index) => ({ index, value })),
      (role) => role,
      (i) => ['approval', 'roles', i],
      'role',
    ),
  );
  if (approval.allowSelfApproval && metadata !== undefined && isProduction(metadata.environment)) {
    issues.push({
      path: ['approval', 'allowSelfApproval'],
      message: `cannot be true in ${metadata.environment}: the person who deployed may not approve their own rollback there`,
      expected: 'false',
    });
  }
  return issues;
};

function isProduction(environment: string): boolean {
  return environment === 'production' || environment === 'prod';
}

const recoveryThresholdsFit: CrossRule = ({ recovery, signals }) => {
  if (recovery === undefined) return [];
  const kinds = new Map(signals.map(({ value }) => [value.name, value.kind]));
  return recovery.targets.flatMap((target, i): CrossIssue[] => {
    if (kinds.get(target.signal) === 'ratio' && (target.threshold < 0 || target.threshold > 1)) {
      return [
        {
          path: ['recovery', 'targets', i, 'threshold'],
          message: `is a rate for the ratio signal "${target.signal}", so it lies between 0 and 1`,
          expected: 'a rate between 0 and 1',
        },
      ];
    }
    if (kinds.get(target.signal) === 'histogram' && target.threshold <= 0) {
      return [
        {
          path: ['recovery', 'targets', i, 'threshold'],
          message: `is the p99 in milliseconds estimated from the buckets of the histogram signal "${target.signal}", so it is greater than 0`,
          expected: 'a latency in milliseconds, greater than 0',
        },
      ];
    }
    return [];
  });
};

// Timeouts, long gaps and irreversible migrations all end in an escalation; one nobody receives is a silent failure.
const escalationsReachSomeone: CrossRule = ({ notifications, notificationsComplete }) => {
  if (!notificationsComplete) return [];
  if (notifications.some(({ value }) => value.on.includes('escalated'))) return [];
  return [
    {
      path: ['notifications'],
      message: 'sends nothing on "escalated", so an escalation would reach nobody',
      expected: 'at least one notification whose "on" includes escalated',
      found:
        notifications.length === 0
          ? 'no notifications'
          : `${notifications.length} notification(s) without escalated`,
    },
  ];
};

const uniqueNotificationNames: CrossRule = ({ notifications }) =>
  duplicateNames(
    notifications,
    (n) => n.name,
    (i) => ['notifications', i, 'name'],
    'notification',
  );

export const governanceRules: CrossRule[] = [
  windowOutlastsConfirmation,
  previousColourOutlastsWindow,
  migrationsAreHighRisk,
  approvalDefinedWhenNeeded,
  approvalsVerifiable,
  approvalSatisfiable,
  recoveryThresholdsFit,
  escalationsReachSomeone,
  uniqueNotificationNames,
];
