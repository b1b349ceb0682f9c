import { releaseInputProblems } from '../../../src/releases/release-input';
import type { ReleaseInput } from '../../../src/model/release';

const member = (service: string, dependsOn: string[] = []) =>
  ({ deployment: { service }, dependsOn }) as unknown as ReleaseInput['members'][number];

const valid = (): ReleaseInput =>
  ({
    releaseId: 'r-1',
    name: 'shop',
    environment: 'production',
    mode: 'independent',
    startedAt: '2026-12-07T00:00:00Z',
    members: [member('payments', ['db']), member('checkout', ['payments'])],
    outside: [{ service: 'db', dependsOn: [] }],
    settleSeconds: 60,
  }) as unknown as ReleaseInput;

describe('what a release workflow refuses to run with (anyone with start rights can send any input)', () => {
  test('a release as the CLI builds it has no problem', () => {
    expect(releaseInputProblems(valid())).toEqual([]);
  });

  test('no member, a bad mode, a settle time out of range', () => {
    expect(releaseInputProblems({ ...valid(), members: [] })).toEqual(['members: at least one member']);
    expect(releaseInputProblems({ ...valid(), mode: 'sometimes' as never })).toEqual([
      'mode: must be independent or together',
    ]);
    expect(releaseInputProblems({ ...valid(), settleSeconds: -1 })).toEqual([
      'settleSeconds: must be 0 to 86400',
    ]);
  });

  test('a service twice, a dependency outside the release, a cycle', () => {
    expect(releaseInputProblems({ ...valid(), members: [member('payments'), member('payments')] })).toEqual([
      'payments: listed twice',
    ]);
    expect(releaseInputProblems({ ...valid(), members: [member('payments', ['ledger'])] })).toEqual([
      'payments.dependsOn: ledger is not in the release',
    ]);
    expect(
      releaseInputProblems({ ...valid(), members: [member('a', ['b']), member('b', ['a'])], outside: [] }),
    ).toEqual([expect.stringMatching(/^dependsOn: a cycle /)]);
  });
});
