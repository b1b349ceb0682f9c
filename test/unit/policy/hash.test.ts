import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { canonicalJson, contentHash, loadPolicyFile, parsePolicyText } from '../../../src/policy';
import { EXAMPLE_FILES, exampleData, examplePath, exampleText, FIXTURES_DIR } from './helpers';

describe('canonical content hash', () => {
  it('writes canonical JSON with sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 'x' }], a: null, skipped: undefined })).toBe(
      '{"a":null,"b":[2,{"c":"x","d":1}]}',
    );
  });

  it('hashes the same policy in YAML and in JSON with keys in another order alike', async () => {
    const yaml = await loadPolicyFile(examplePath('canary.yaml'));
    const json = await loadPolicyFile(resolve(FIXTURES_DIR, 'canary-reordered.json'));
    expect(json.hash).toBe(yaml.hash);
  });

  it.each(EXAMPLE_FILES)('%s hashes alike with its defaults written out', (name) => {
    const loaded = parsePolicyText(exampleText(name), { filename: name });
    const explicit = parsePolicyText(stringify(loaded.policy), { filename: `explicit-${name}` });
    expect(explicit.hash).toBe(loaded.hash);
    expect(explicit.defaultedPaths).toEqual([]);
  });

  it('ignores comments and formatting', () => {
    const text = exampleText('canary.yaml');
    const reformatted = `# another comment\n${stringify(exampleData('canary.yaml'), { indent: 4 })}`;
    expect(parsePolicyText(reformatted, { filename: 'b.yaml' }).hash).toBe(
      parsePolicyText(text, { filename: 'a.yaml' }).hash,
    );
  });

  it('treats version 3 and "3" as the same policy version', () => {
    const text = exampleText('canary.yaml');
    const asNumber = text.replace(/version: ["']3["']/, 'version: 3');
    expect(asNumber).not.toBe(text);
    expect(parsePolicyText(asNumber, { filename: 'n.yaml' }).hash).toBe(
      parsePolicyText(text, { filename: 's.yaml' }).hash,
    );
  });

  it('changes when anything that matters changes', () => {
    const base = parsePolicyText(exampleText('canary.yaml'), { filename: 'a.yaml' }).hash;
    const changed = exampleText('canary.yaml').replace('alpha: 0.01', 'alpha: 0.02');
    expect(parsePolicyText(changed, { filename: 'b.yaml' }).hash).not.toBe(base);
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
});
