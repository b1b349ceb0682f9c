import type { DecisionConfig } from '../../src/decision';
import type { SignalConfig } from '../../src/decision/config';
import type { BaselineTail } from '../../src/decision/histogram';
import { alternativesOf, readSignal } from '../../src/decision/readings';
import { logSumExp } from '../../src/decision/stats/log-space';
import { observationAt, scenarioLength, type Scenario } from '../../src/simulate/scenario';
import type { MethodOutcome } from './emulations';

/**
 * A detectability ceiling, not a method: ripcord's own per-interval test
 * (same readings, tolerance, alternatives and share of alpha per signal),
 * told the one thing no real test knows, the interval the regression began.
 * It multiplies the likelihood ratios from the onset on and stops when the
 * uniform mixture over the alternatives reaches 1/(alpha / signals), with no
 * confirmation, no minimum traffic and no absolute tolerance.
 *
 * A regression it cannot flag by the end of the watch carries too little
 * evidence, at this policy's alpha and tolerance and with these alternatives,
 * for a test that has to find the onset itself. ripcord pays for not knowing
 * the onset (start weights, see stats/e-process.ts) and for its transient
 * protection; the gap between the two is what a better test could still win.
 *
 * Only meaningful on regressions: on a healthy scenario "onset" 0 and no
 * confirmation make it roll back on any spike.
 */
export function knownOnsetTest(config: DecisionConfig, scenario: Scenario): MethodOutcome {
  const onset = scenario.truth?.onsetIndex ?? 0;
  const logLevel = -Math.log(config.alpha / config.signals.length);
  const sums = config.signals.map((signal) => new Array<number>(alternativesOf(signal)).fill(0));
  // A histogram signal chooses its bounds from the baseline before each interval, the onset's included.
  const tails = config.signals.map((signal) => baselineTailBefore(signal, scenario, onset));
  const length = scenarioLength(scenario);
  for (let index = onset; index < length; index++) {
    const observation = observationAt(scenario, index);
    for (const [j, signal] of config.signals.entries()) {
      const reading = readSignal(signal, observation, tails[j]);
      if (reading.status === 'aligned' && reading.baselineTail) tails[j] = reading.baselineTail;
      const sum = sums[j];
      if (reading.status !== 'aligned' || reading.logLR === null || sum === undefined) continue;
      reading.logLR.forEach((value, k) => (sum[k] = (sum[k] ?? 0) + value));
      if (logSumExp(sum) - Math.log(sum.length) >= logLevel) {
        return { decision: 'rollback', decidedAtIndex: index };
      }
    }
  }
  return { decision: 'no-rollback', decidedAtIndex: null };
}

function baselineTailBefore(
  signal: SignalConfig,
  scenario: Scenario,
  onset: number,
): BaselineTail | undefined {
  let tail: BaselineTail | undefined;
  for (let index = 0; index < onset; index++) {
    const reading = readSignal(signal, observationAt(scenario, index), tail);
    if (reading.status === 'aligned' && reading.baselineTail) tail = reading.baselineTail;
  }
  return tail;
}
