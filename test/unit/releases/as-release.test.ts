import { asRelease } from '../../../src/releases/as-release';
import { releaseFixture } from './support';

// cascade-00: ledger calls tax, both in the release; inventory outside it.
const scenario = releaseFixture('cascade-00');

describe('a release scenario judged as the release a release file describes', () => {
  it('takes members, outside services and dependsOn from the release, the series from the scenario', () => {
    const result = asRelease(scenario, {
      file: 'release.yaml',
      members: [
        { service: 'tax', dependsOn: [] },
        { service: 'ledger', dependsOn: [] },
      ],
      outside: [{ service: 'inventory', dependsOn: ['ledger'] }],
    });
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(Object.keys(result.scenario.members)).toEqual(['inventory', 'ledger', 'tax']);
    expect(result.scenario.members.ledger).toMatchObject({ inRelease: true, dependsOn: [] });
    expect(result.scenario.members.inventory).toMatchObject({ inRelease: false, dependsOn: ['ledger'] });
    expect(result.scenario.members.tax?.series).toBe(scenario.members.tax?.series);
  });

  it('leaves out a scenario service the release does not name', () => {
    const result = asRelease(scenario, {
      file: 'release.yaml',
      members: [
        { service: 'tax', dependsOn: [] },
        { service: 'ledger', dependsOn: ['tax'] },
      ],
      outside: [],
    });
    expect(result.ok && Object.keys(result.scenario.members)).toEqual(['ledger', 'tax']);
  });

  it('names both files where they do not describe the same release', () => {
    const result = asRelease(scenario, {
      file: 'release.yaml',
      members: [
        { service: 'tax', dependsOn: [] },
        { service: 'inventory', dependsOn: [] },
      ],
      outside: [
        { service: 'ledger', dependsOn: [] },
        { service: 'db-proxy', dependsOn: [] },
      ],
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        'release.yaml members[1] "inventory" is outside the release in scenario cascade-00 (inRelease: false): it has no canary to judge',
        'members.ledger: a member of scenario cascade-00 (inRelease: true) but not of release.yaml (members: tax, inventory), which lists it outside the release',
        'release.yaml outside[1] "db-proxy" has no series in scenario cascade-00 (its services: inventory, ledger, tax)',
      ],
    });
  });
});
