import type { SeriesReading } from '../decision';
import type { Series, Source } from '../policy';
import type { HealthReadRequest, SeriesReadings, SourceRegistry } from '../sources';
import { errorReadings } from '../sources';
import { histogramOf, isBucketOf } from '../sources/histogram';
import { currentContext } from './activity-context';
import type { EvaluateHealthInput, EvaluateHealthResult, IntervalReading } from '../model/activity-contract';

/** For sources whose configuration has no timeout of its own (replay). */
const DEFAULT_TIMEOUT_SECONDS = 10;
const MAX_ERROR_LENGTH = 300;

interface SourceCall {
  sourceName: string;
  source: Source | undefined;
  series: Array<{ name: string } & Series>;
}

/**
 * One evaluation interval: every series the policy names, read from its source
 * (or, in a rehearsal, from the replayed scenario), one reading per series. It
 * never throws for a source failure: an unknown source type, a source that
 * throws or times out, or a reading that is missing or not a number becomes an
 * `error` reading for the series concerned, and the decision core decides what
 * that means (docs/architecture.md §3, §8).
 */
export function evaluateHealth(sources: SourceRegistry, options: { refuseReplay?: boolean } = {}) {
  return async (input: EvaluateHealthInput): Promise<EvaluateHealthResult> => {
    if (input.replay !== undefined && options.refuseReplay) {
      // Anyone who may start a workflow could otherwise feed a production worker made-up health
      // and have it roll back (or promote) real deployments. Fail closed: no data, never a verdict.
      return errorReadings(
        Object.keys(input.series),
        'this worker does not accept replayed health data (only --dry-run or --accept-replay workers do)',
      ) as EvaluateHealthResult;
    }
    const calls = planCalls(input);
    const parts = await Promise.all(
      calls.map((call) =>
        options.refuseReplay && call.source?.type === 'replay'
          ? refusedReplay(call)
          : readSource(sources, input, call),
      ),
    );
    return Object.assign({}, ...parts) as EvaluateHealthResult;
  };
}

/**
 * The read as guardians run it: a local
 * activity, inside the workflow task that the interval's timer opened. That
 * saves a workflow task, an activity task and four history events per
 * evaluation, which is most of what one guardian costs the worker and the
 * server. The result carries its interval (a local activity's input is not
 * kept in history).
 */
export function readHealthInterval(evaluate: (input: EvaluateHealthInput) => Promise<EvaluateHealthResult>) {
  return async (input: EvaluateHealthInput): Promise<IntervalReading> => ({
    index: input.index,
    observation: await evaluate(input),
  });
}

function planCalls(input: EvaluateHealthInput): SourceCall[] {
  const series = Object.entries(input.series).map(([name, s]) => ({ name, ...s }));
  if (input.replay !== undefined) {
    // A rehearsal replaces every source of the policy by the scenario, matched by series name (docs/architecture.md §4).
    return [
      {
        sourceName: `scenario ${input.replay.scenarioFile}`,
        source: {
          type: 'replay',
          path: input.replay.scenarioFile,
          ...(input.replay.member !== undefined ? { member: input.replay.member } : {}),
        },
        series,
      },
    ];
  }
  const calls = new Map<string, SourceCall>();
  for (const s of series) {
    const call = calls.get(s.source) ?? { sourceName: s.source, source: input.sources[s.source], series: [] };
    call.series.push(s);
    calls.set(s.source, call);
  }
  return [...calls.values()];
}

/**
 * Defence in depth behind admission: a policy source of type replay reads any
 * file the worker can read. A worker that serves production never opens it.
 */
function refusedReplay(call: SourceCall): SeriesReadings {
  return errorReadings(
    call.series.map((s) => s.name),
    `source "${call.sourceName}" is a replay source: this worker serves production and never reads replay data ` +
      '(only --dry-run or --accept-replay workers do)',
  );
}

async function readSource(
  registry: SourceRegistry,
  input: EvaluateHealthInput,
  call: SourceCall,
): Promise<SeriesReadings> {
  const names = call.series.map((s) => s.name);
  if (call.source === undefined) {
    return errorReadings(names, `source "${call.sourceName}" is not defined in the policy`);
  }
  const implementation = registry.resolve(call.source.type);
  if (implementation === undefined) {
    const available = registry.types().join(', ') || 'none';
    return errorReadings(
      names,
      `no "${call.source.type}" health source in this worker (available: ${available})`,
    );
  }
  const timeoutSeconds =
    'timeoutSeconds' in call.source ? call.source.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
  const controller = new AbortController();
  const cancellation = currentContext()?.cancellationSignal;
  const signal = cancellation ? AbortSignal.any([controller.signal, cancellation]) : controller.signal;
  const request: HealthReadRequest = {
    sourceName: call.sourceName,
    source: call.source,
    series: call.series,
    deployment: input.deployment,
    index: input.index,
    intervalSeconds: input.intervalSeconds,
    groups: {
      baseline: { version: input.deployment.previousVersion },
      canary: { version: input.deployment.version },
    },
    signal,
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`timed out after ${timeoutSeconds}s`));
      }, timeoutSeconds * 1000);
    });
    const readings = await Promise.race([implementation.read(request), timeout]);
    return Object.fromEntries(
      call.series.flatMap((s) => [
        [s.name, checkedReading(readings?.[s.name], call.sourceName)],
        // A histogram's buckets (`<name>_le_<ms>`) are readings of their own, as many as the source found.
        ...bucketNames(s, readings).map((key) => [key, checkedReading(readings[key], call.sourceName)]),
      ]),
    );
  } catch (error) {
    return errorReadings(names, `source "${call.sourceName}" failed: ${shorten(messageOf(error))}`);
  } finally {
    clearTimeout(timer);
  }
}

function bucketNames(series: { name: string } & Series, readings: SeriesReadings | undefined): string[] {
  if (histogramOf(series) === undefined || typeof readings !== 'object' || readings === null) return [];
  return Object.keys(readings).filter((key) => isBucketOf(series.name, key));
}

/** A reading as the decision core expects it: numbers or null per group, or an error. */
function checkedReading(reading: SeriesReading | undefined, sourceName: string): SeriesReading {
  if (typeof reading !== 'object' || reading === null) {
    return { baseline: null, canary: null, error: `source "${sourceName}" returned no reading` };
  }
  if (reading.error !== undefined) {
    return { baseline: null, canary: null, error: shorten(String(reading.error)) };
  }
  for (const group of ['baseline', 'canary'] as const) {
    const value = reading[group];
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
      return {
        baseline: null,
        canary: null,
        error: `source "${sourceName}" returned ${String(value)} for ${group}, not a number`,
      };
    }
  }
  return { baseline: reading.baseline, canary: reading.canary };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function shorten(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
