import { oneOfNames, type CrossIssue, type CrossRule } from './issue';

/** One place where the policy refers to something by name. */
export interface Reference {
  path: Array<string | number>;
  name: string;
  to: 'source' | 'series' | 'signal' | 'artifact-key';
}

/**
 * Collects name references straight from the document, item by item, so that
 * a typo in a reference is reported even when the item holding it has other
 * problems too. Only string values in fields that belong to the item's kind are
 * taken; anything else is the schema's to report.
 */
export function collectReferences(document: unknown): Reference[] {
  const root = record(document);
  if (root === undefined) return [];
  const refs: Reference[] = [];
  for (const [name, series] of Object.entries(record(root.series) ?? {})) {
    pushName(refs, record(series)?.source, ['series', name, 'source'], 'source');
  }
  list(root.signals).forEach((item, i) => {
    const signal = record(item);
    const fields =
      signal?.kind === 'ratio'
        ? ['numerator', 'denominator']
        : signal?.kind === 'histogram'
          ? ['buckets', 'total']
          : // No String(): a hostile value (an object whose toString is null) must not throw here.
            ['latency', 'gauge', 'probe'].includes(signal?.kind as string)
            ? ['series', 'weight']
            : [];
    for (const field of fields) pushName(refs, signal?.[field], ['signals', i, field], 'series');
  });
  list(record(root.plan)?.steps).forEach((item, i) => {
    const step = record(item);
    list(record(step?.verify)?.signals).forEach((name, j) =>
      pushName(refs, name, ['plan', 'steps', i, 'verify', 'signals', j], 'signal'),
    );
    if (step?.type === 'revert-artifact')
      pushName(refs, step.signedBy, ['plan', 'steps', i, 'signedBy'], 'artifact-key');
  });
  list(record(root.recovery)?.targets).forEach((item, i) =>
    pushName(refs, record(item)?.signal, ['recovery', 'targets', i, 'signal'], 'signal'),
  );
  return refs;
}

function pushName(refs: Reference[], value: unknown, path: Reference['path'], to: Reference['to']): void {
  if (typeof value === 'string') refs.push({ path, name: value, to });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const TARGETS: Record<Reference['to'], { kind: string; plural: string; section: string }> = {
  source: { kind: 'source', plural: 'sources', section: 'sources' },
  series: { kind: 'series', plural: 'series', section: 'series' },
  signal: { kind: 'signal', plural: 'signals', section: 'signals' },
  'artifact-key': {
    kind: 'trusted artifact key',
    plural: 'trusted artifact keys',
    section: 'trustedKeys.artifacts',
  },
};

/** Every name a policy uses must be defined in it. */
export const referencesResolve: CrossRule = (view) => {
  const known: Record<Reference['to'], ReadonlySet<string> | undefined> = {
    source: view.sourceNames,
    series: view.seriesNames,
    signal: view.signalNames,
    'artifact-key': view.trustedKeys && new Set(view.trustedKeys.artifacts),
  };
  return view.references.flatMap((ref): CrossIssue[] => {
    const names = known[ref.to];
    if (names === undefined || names.has(ref.name)) return [];
    const target = TARGETS[ref.to];
    return [
      {
        path: ref.path,
        message: `names the ${target.kind} "${ref.name}", which is not defined under ${target.section}`,
        expected: oneOfNames(target.kind, names, target.plural),
      },
    ];
  });
};
