import type { NginxServiceConfig } from './config';

/**
 * The small state model behind one service's upstream file, and the two
 * directions between it and nginx configuration text: render (state → file)
 * and parse + interpret (file → state). Verification reads state back through
 * the parser, never through a side record, so a hand edit or a half-written
 * file shows up as what it is.
 */
export type UpstreamState =
  /** Canary: `canaryWeight` percent to the canary, the rest to the baseline; 0 = canary `down`. */
  | { pattern: 'canary'; canaryWeight: number }
  /** Blue-green: only the live colour takes traffic; the other is listed `down`. */
  | { pattern: 'blue-green'; live: Colour };

export type Colour = 'blue' | 'green';

export function otherColour(colour: Colour): Colour {
  return colour === 'blue' ? 'green' : 'blue';
}

export function describeState(state: UpstreamState): string {
  return state.pattern === 'canary' ? `canary weight ${state.canaryWeight}%` : `live colour ${state.live}`;
}

export function sameState(a: UpstreamState, b: UpstreamState): boolean {
  return a.pattern === 'canary'
    ? b.pattern === 'canary' && a.canaryWeight === b.canaryWeight
    : b.pattern === 'blue-green' && a.live === b.live;
}

/** A whole percentage between 0 and 100, or a plain error naming the value. */
export function checkWeight(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new RangeError(`a canary weight is a whole percentage from 0 to 100, not ${weight}`);
  }
  return weight;
}

// ---- render --------------------------------------------------------------------

const HEADER = '# Managed by ripcord (nginx traffic target): rewritten on every change, do not edit by hand.';

/** The upstream file for `state`. nginx weights are at least 1, so a side without traffic is `down`. */
export function renderUpstream(
  upstreamName: string,
  service: NginxServiceConfig,
  state: UpstreamState,
): string {
  const lines: string[] = [HEADER, `# ${describeState(state)}`, `upstream ${upstreamName} {`];
  const server = (address: string, weight: number, role: string) =>
    weight > 0
      ? `    server ${address} weight=${weight};  # ${role}`
      : `    server ${address} weight=1 down;  # ${role}, no traffic`;

  if (state.pattern === 'canary') {
    if (service.pattern !== 'canary') throw new Error('a canary state needs a canary service');
    const weight = checkWeight(state.canaryWeight);
    lines.push(server(service.baseline, 100 - weight, 'baseline'));
    lines.push(server(service.canary, weight, 'canary'));
  } else {
    if (service.pattern !== 'blue-green') throw new Error('a blue-green state needs a blue-green service');
    lines.push(server(service.blue, state.live === 'blue' ? 100 : 0, 'blue'));
    lines.push(server(service.green, state.live === 'green' ? 100 : 0, 'green'));
  }
  lines.push('}', '');
  return lines.join('\n');
}

// ---- parse ---------------------------------------------------------------------

export interface UpstreamServer {
  address: string;
  weight: number;
  down: boolean;
  backup: boolean;
}

export interface ParsedUpstream {
  name: string;
  servers: UpstreamServer[];
}

/**
 * Every `upstream` block in an nginx configuration text, with its `server`
 * lines (address, weight, down, backup; other parameters are ignored). Enough
 * of nginx's grammar for upstream files: comments, blocks, `;`-ended statements.
 */
export function parseUpstreams(text: string): ParsedUpstream[] {
  const withoutComments = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('\n');
  const blocks: ParsedUpstream[] = [];
  const blockPattern = /\bupstream\s+([^\s{]+)\s*\{([^}]*)\}/g;
  for (const match of withoutComments.matchAll(blockPattern)) {
    const servers: UpstreamServer[] = [];
    for (const statement of (match[2] ?? '').split(';')) {
      const words = statement.trim().split(/\s+/);
      if (words[0] !== 'server' || words[1] === undefined) continue;
      const params = words.slice(2);
      const weightParam = params.find((p) => p.startsWith('weight='));
      servers.push({
        address: words[1],
        weight: weightParam === undefined ? 1 : Number(weightParam.slice('weight='.length)),
        down: params.includes('down'),
        backup: params.includes('backup'),
      });
    }
    blocks.push({ name: match[1] ?? '', servers });
  }
  return blocks;
}

export interface InterpretedUpstream {
  /** The state the file puts into effect, when it can be read as one. */
  state?: UpstreamState;
  /** Why the file is not (exactly) a state of this service, in words. */
  problems: string[];
}

/** What the file's `upstream <name>` block means for this service. */
export function interpretUpstream(
  text: string,
  upstreamName: string,
  service: NginxServiceConfig,
): InterpretedUpstream {
  const blocks = parseUpstreams(text).filter((block) => block.name === upstreamName);
  if (blocks.length !== 1) {
    return {
      problems: [
        blocks.length === 0
          ? `no "upstream ${upstreamName}" block`
          : `${blocks.length} "upstream ${upstreamName}" blocks`,
      ],
    };
  }
  const servers = blocks[0]?.servers ?? [];
  const known =
    service.pattern === 'canary'
      ? { baseline: service.baseline, canary: service.canary }
      : { blue: service.blue, green: service.green };
  const problems: string[] = [];
  const knownAddresses = new Set(Object.values(known));
  for (const server of servers) {
    if (!knownAddresses.has(server.address)) {
      problems.push(`server ${server.address} is not one of ${Object.keys(known).join('/')}`);
    }
    if (!Number.isInteger(server.weight) || server.weight < 1) {
      problems.push(`server ${server.address} has an invalid weight`);
    }
  }
  // A `backup` server takes traffic only when the others fail: no share of normal traffic.
  const active = servers.filter((s) => !s.down && !s.backup);
  const share = (address: string) =>
    active.filter((s) => s.address === address).reduce((sum, s) => sum + s.weight, 0);
  const total = active.reduce((sum, s) => sum + s.weight, 0);
  if (total === 0) return { problems: [...problems, 'no server takes traffic'] };

  if (service.pattern === 'canary') {
    const canaryWeight = Math.round((100 * share(service.canary)) / total);
    return { state: { pattern: 'canary', canaryWeight }, problems };
  }
  const blue = share(service.blue) > 0;
  const green = share(service.green) > 0;
  if (blue && green) return { problems: [...problems, 'both colours take traffic'] };
  if (!blue && !green) return { problems: [...problems, 'neither colour takes traffic'] };
  return { state: { pattern: 'blue-green', live: blue ? 'blue' : 'green' }, problems };
}

/**
 * The versions a probe may see answer under `state`. For blue-green only the
 * caller knows what the live colour runs: after a swap back it is the previous
 * version; when a colour is restored by compensation it may be either.
 */
export function expectedVersions(
  state: UpstreamState,
  versions: { version: string; previousVersion: string },
  liveColourRuns: 'previous' | 'either' = 'previous',
): string[] {
  const both = [versions.previousVersion, versions.version];
  if (state.pattern === 'blue-green')
    return liveColourRuns === 'previous' ? [versions.previousVersion] : both;
  if (state.canaryWeight === 0) return [versions.previousVersion];
  if (state.canaryWeight === 100) return [versions.version];
  return both;
}
