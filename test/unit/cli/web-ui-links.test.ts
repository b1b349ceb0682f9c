import { guardianListLink } from '../../../src/cli/guardian-list';
import { guardiansListUrl, serviceListLine, serviceOfWorkflowId } from '../../../src/client/web-ui-links';

/**
 * The Web UI list a command links to keeps to one service's guardians
 * (issue 17): the rollback locks and token claims in the same namespace stay out.
 */
describe('Web UI links to a list of guardians', () => {
  test("`list --service` links to that service's guardians only", () => {
    const url = guardianListLink({ webUi: 'https://temporal.example.com/', namespace: 'prod' }, 'checkout');
    expect(url).toBe(
      'https://temporal.example.com/namespaces/prod/workflows?query=' +
        encodeURIComponent('WorkflowType="guardian" AND RipcordService="checkout"'),
    );
    expect(decodeURIComponent(new URL(url).searchParams.get('query')!)).toBe(
      'WorkflowType="guardian" AND RipcordService="checkout"',
    );
  });

  test("a guardian's link comes with its service's list; other workflows have none", () => {
    expect(serviceOfWorkflowId('ripcord/production/checkout/build-481')).toBe('checkout');
    expect(serviceOfWorkflowId('ripcord-rehearsal/production/checkout/build-481')).toBe('checkout');
    expect(serviceOfWorkflowId('ripcord-rollback-lock/production/checkout')).toBeUndefined();
    expect(serviceListLine('http://127.0.0.1:8233', 'default', 'ripcord/production/checkout/b-1')).toBe(
      `guardians of checkout: ${guardiansListUrl('http://127.0.0.1:8233', 'default', 'checkout')}`,
    );
  });

  test('a quote in a service name cannot break out of the query', () => {
    expect(decodeURIComponent(guardiansListUrl('http://x', 'default', 'a"b').split('query=')[1]!)).toBe(
      'WorkflowType="guardian" AND RipcordService="ab"',
    );
  });
});
