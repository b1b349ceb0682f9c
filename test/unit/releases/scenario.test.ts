import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScenarioFileError } from '../../../src/simulate/scenario-files';
import { dependencyClosure, dependencyOrder, findCycle } from '../../../src/releases/graph';
import {
  memberScenario,
  releaseMembers,
  releaseScenarioLength,
  RELEASE_SCENARIO_FORMAT,
} from '../../../src/releases/scenario';
import { loadReleaseScenarioFile, parseReleaseScenarioText } from '../../../src/releases/scenario-files';
import { releaseFixture, releaseFixtureJson, releaseFixtureNames, RELEASE_DIR } from './support';

function problemsOf(doc: unknown): string[] {
  try {
    parseReleaseScenarioText(JSON.stringify(doc), 'x.json');
  } catch (err) {
    if (err instanceof ScenarioFileError) return err.problems;
    throw err;
  }
  return [];
}

type Doc = {
  format?: unknown;
  truth?: unknown;
  members: Record<string, Record<string, unknown> & { series: Record<string, Record<string, unknown[]>> }>;
};

/** cascade-00: inventory (outside), ledger → tax (both members), 80 intervals. */
const cascade = () => releaseFixtureJson('cascade-00') as unknown as Doc;
const member = (d: Doc, s: string) => d.members[s] as Doc['members'][string];

describe('release scenario files (ripcord.release-scenario/v1)', () => {
  it.each(releaseFixtureNames())('accepts the example %s', (name) => {
    const scenario = releaseFixture(name);
    expect(scenario.format).toBe(RELEASE_SCENARIO_FORMAT);
    expect(releaseMembers(scenario).length).toBeGreaterThanOrEqual(2);
  });

  it('turns a member into the deployment scenario its own guardian would see', () => {
    const scenario = releaseFixture('cascade-00');
    expect(releaseMembers(scenario)).toEqual(['ledger', 'tax']);
    expect(releaseScenarioLength(scenario)).toBe(80);
    const tax = memberScenario(scenario, 'tax');
    expect(tax.name).toBe('cascade-00/tax');
    expect(tax.intervalSeconds).toBe(15);
    expect(tax.series.errors?.canary).toEqual(scenario.members.tax?.series.errors?.canary);
    expect(tax).not.toHaveProperty('truth');
    expect(() => memberScenario(scenario, 'inventory')).toThrow(/not a member/);
  });

  it.each([
    {
      name: 'another format',
      mutate: (d: Doc) => (d.format = 'ripcord.scenario/v1'),
      problems: [`format: must be "${RELEASE_SCENARIO_FORMAT}"`],
    },
    {
      name: 'an unknown dependency',
      mutate: (d: Doc) => (member(d, 'ledger').dependsOn = ['tax', 'taxx']),
      problems: [/^members\.ledger\.dependsOn\[1\]: unknown service "taxx": .*known: inventory, ledger, tax/],
    },
    {
      name: 'a dependency cycle',
      mutate: (d: Doc) => (member(d, 'tax').dependsOn = ['inventory', 'ledger']),
      problems: [
        'members.ledger.dependsOn: dependency cycle ledger → tax → ledger: the graph must be acyclic',
      ],
    },
    {
      name: 'a cycle through a service outside the release',
      mutate: (d: Doc) => {
        member(d, 'tax').dependsOn = ['inventory'];
        member(d, 'inventory').dependsOn = ['ledger'];
      },
      problems: [/dependency cycle inventory → ledger → tax → inventory/],
    },
    {
      name: 'a service depending on itself',
      mutate: (d: Doc) => (member(d, 'tax').dependsOn = ['tax']),
      problems: ['members.tax.dependsOn[0]: a service cannot depend on itself', /dependency cycle tax → tax/],
    },
    {
      name: 'a dependency named twice',
      mutate: (d: Doc) => (member(d, 'ledger').dependsOn = ['tax', 'tax']),
      problems: ['members.ledger.dependsOn[1]: names "tax" twice'],
    },
    {
      name: 'inRelease missing',
      mutate: (d: Doc) => delete member(d, 'tax').inRelease,
      problems: [/^members\.tax\.inRelease: must be true/],
    },
    {
      name: 'a misspelt field',
      mutate: (d: Doc) => {
        member(d, 'ledger').dependOn = member(d, 'ledger').dependsOn;
      },
      problems: [/^members\.ledger: .*dependOn/],
    },
    {
      name: 'a member without a canary',
      mutate: (d: Doc) => delete member(d, 'tax').series.errors?.canary,
      problems: [
        'members.tax.series.errors: has no canary: a member of the release (inRelease: true) needs baseline and canary',
      ],
    },
    {
      name: 'a canary on a service outside the release',
      mutate: (d: Doc) => {
        const requests = member(d, 'inventory').series.requests as Record<string, unknown[]>;
        requests.canary = requests.baseline ?? [];
      },
      problems: [/^members\.inventory\.series\.requests\.canary: a service outside the release/],
    },
    {
      name: 'no member at all',
      mutate: (d: Doc) => {
        delete d.truth;
        for (const s of ['ledger', 'tax']) {
          member(d, s).inRelease = false;
          for (const groups of Object.values(member(d, s).series)) delete groups.canary;
        }
      },
      problems: ['members: no service has inRelease: true: a release needs at least one member'],
    },
    {
      name: 'a series shorter than the others',
      mutate: (d: Doc) => member(d, 'tax').series.errors?.canary?.pop(),
      problems: [
        /^members\.tax\.series\.errors\.canary: has 79 values but members\.inventory\.series\.requests\.baseline has 80/,
      ],
    },
    {
      name: 'more errors than requests',
      mutate: (d: Doc) => {
        const series = member(d, 'ledger').series;
        (series.errors?.canary as number[])[3] = (series.requests?.canary?.[3] as number) + 1;
      },
      problems: [/^members\.ledger\.series\.errors\.canary\[3\]: \d+ errors but only \d+ requests/],
    },
    {
      name: 'a negative count',
      mutate: (d: Doc) => ((member(d, 'inventory').series.requests?.baseline as number[])[0] = -1),
      problems: ['members.inventory.series.requests.baseline[0]: must be a number of zero or more (or null)'],
    },
    {
      name: 'a truth of an unknown kind',
      mutate: (d: Doc) => (d.truth = { kind: 'meltdown' }),
      problems: [/^truth\.kind: must be one of: isolated, cascade, systemic, healthy/],
    },
    {
      name: 'a culprit outside the release',
      mutate: (d: Doc) => (d.truth = { kind: 'cascade', culprits: ['inventory'], onsetIndex: 3 }),
      problems: ['truth.culprits[0]: "inventory" is not a member of the release'],
    },
    {
      name: 'an onset beyond the data',
      mutate: (d: Doc) => (d.truth = { kind: 'isolated', culprits: ['tax'], onsetIndex: 80 }),
      problems: ['truth.onsetIndex: is 80 but the scenario has only 80 intervals'],
    },
  ])('rejects $name, naming the field', ({ mutate, problems }) => {
    const doc = cascade();
    mutate(doc);
    const found = problemsOf(doc);
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => {
      if (typeof p === 'string') expect(found[i]).toBe(p);
      else expect(found[i]).toMatch(p);
    });
  });

  it('accepts a missing dependsOn as no dependencies, and an untyped truth is never needed', () => {
    const doc = cascade();
    delete member(doc, 'inventory').dependsOn;
    delete doc.truth;
    expect(problemsOf(doc)).toEqual([]);
  });

  it('says what is wrong with text that is not JSON, without quoting it', () => {
    expect(() => parseReleaseScenarioText('{"secret": ', 'x.json')).toThrow(
      /not valid JSON \(the text ends too early\)/,
    );
  });

  it('loads a file, and refuses what is not a regular file', async () => {
    const loaded = await loadReleaseScenarioFile(path.join(RELEASE_DIR, 'systemic-01.json'));
    expect(loaded.scenario.name).toBe('systemic-01');
    await expect(loadReleaseScenarioFile(RELEASE_DIR)).rejects.toThrow(/not a regular file/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'release-scenario-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ format: RELEASE_SCENARIO_FORMAT, name: 'bad' }));
    await expect(loadReleaseScenarioFile(file)).rejects.toMatchObject({
      summary: expect.stringMatching(
        /^not a ripcord\.release-scenario\/v1 scenario \(\d problems? in intervalSeconds, members\)$/,
      ),
    });
  });
});

describe('the dependency graph', () => {
  const graph = { gateway: ['cart', 'tax'], cart: ['tax'], tax: ['db'], db: [], auth: [] };

  it('walks every path, through services outside the release too', () => {
    expect([...dependencyClosure(graph, 'gateway')].sort()).toEqual(['cart', 'db', 'tax']);
    expect([...dependencyClosure(graph, 'auth')]).toEqual([]);
  });

  it('orders callees before their callers', () => {
    expect(dependencyOrder(graph, ['gateway', 'tax', 'cart', 'auth'])).toEqual([
      'auth',
      'tax',
      'cart',
      'gateway',
    ]);
  });

  it('finds a cycle, or none', () => {
    expect(findCycle(graph)).toBeNull();
    expect(findCycle({ ...graph, db: ['gateway'] })).toEqual(['cart', 'tax', 'db', 'gateway', 'cart']);
  });
});
