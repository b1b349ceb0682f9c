import { policyVersionLabel } from '../../../src/policy/version-label';
import { buildReport } from '../../../src/report/model';
import { renderHtml } from '../../../src/report/html';
import { renderText } from '../../../src/report/text';
import { rolledBackHistory, t } from './fixture';

/** Issue 17: the policy version shows as written ("v3", not "vdemo-1"). */

const LINK = 'http://127.0.0.1:8233/namespaces/default/workflows/x';

describe('the policy version as written', () => {
  it.each([
    ['3', 'v3'],
    ['12', 'v12'],
    ['1.2.0', 'v1.2.0'],
    ['v3', 'v3'],
    ['demo-1', 'demo-1'],
    ['2026-01-15', '2026-01-15'],
  ])('%s reads %s', (version, label) => {
    expect(policyVersionLabel(version)).toBe(label);
  });

  it.each([
    ['3', 'checkout/production v3 '],
    ['demo-1', 'checkout/production demo-1 '],
  ])('the text and HTML reports of a policy at version %s say "%s"', async (version, expected) => {
    const { history } = await rolledBackHistory();
    const report = buildReport({ history });
    report.policy.version = version;
    const text = renderText(report, LINK);
    expect(text).toContain(expected);
    expect(text).not.toContain('vdemo');
    const html = renderHtml(report, LINK, new Date(t(100)));
    expect(html).toContain(expected.trimEnd());
    expect(html).not.toContain('vdemo');
  });
});
