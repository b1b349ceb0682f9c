import { join } from 'node:path';
import { approvalCommand, shellWord } from '../../../../src/dev/demo/approval-command';

const INPUT = {
  temporalAddress: '127.0.0.1:7233',
  namespace: 'default',
  webUi: 'http://127.0.0.1:8233',
  deploymentId: 'demo-20260101100000',
  service: 'checkout',
  environment: 'demo',
  planHash: 'sha256:0dac',
  keyFile: '/repo/.ripcord/demo/demo-20260101100000/keys/demo-approvals.private.jwk.json',
  approver: 'alice',
  role: 'sre',
  cwd: '/repo',
};

describe('approvalCommand', () => {
  test('on the default ports: the plain command, the key named from the repository', () => {
    expect(approvalCommand(INPUT)).toBe(
      'npx ripcord approve demo-20260101100000 --service checkout --env demo --plan sha256:0dac --role sre ' +
        '--key .ripcord/demo/demo-20260101100000/keys/demo-approvals.private.jwk.json --as alice',
    );
  });

  test('on other ports: the address and the Web UI go in front, so the command finds this demo', () => {
    const command = approvalCommand({
      ...INPUT,
      temporalAddress: '127.0.0.1:17233',
      webUi: 'http://127.0.0.1:18233',
    });
    expect(command).toMatch(
      /^TEMPORAL_ADDRESS=127\.0\.0\.1:17233 RIPCORD_WEB_UI=http:\/\/127\.0\.0\.1:18233 npx ripcord approve demo-/,
    );
  });

  test("with encrypted payloads the keyring goes in front, so the CLI can read and write the guardian's messages", () => {
    const codecKeysFile = '/repo/.ripcord/demo/demo-20260101100000/keys/codec-keyring.json';
    expect(approvalCommand({ ...INPUT, codecKeysFile })).toMatch(
      /^RIPCORD_CODEC_KEYS=\.ripcord\/demo\/demo-20260101100000\/keys\/codec-keyring\.json npx ripcord approve /,
    );
  });

  test('another namespace is named too', () => {
    expect(approvalCommand({ ...INPUT, namespace: 'demo-ns' })).toMatch(/^TEMPORAL_NAMESPACE=demo-ns npx/);
  });

  test('a key outside the directory the command runs from keeps its absolute path', () => {
    const keyFile = join('/tmp', 'x', 'k.json');
    expect(approvalCommand({ ...INPUT, keyFile })).toContain(`--key ${keyFile} `);
  });

  test('words a shell would split or expand are quoted', () => {
    const command = approvalCommand({ ...INPUT, keyFile: "/repo/my keys/it's.json" });
    expect(command).toContain(`--key 'my keys/it'\\''s.json' `);
  });
});

test.each([
  ['plain-word_1.2/x:y', 'plain-word_1.2/x:y'],
  ['a b', "'a b'"],
  ['$HOME', "'$HOME'"],
  ["it's", "'it'\\''s'"],
  ['', "''"],
])('shellWord(%j) is %s', (word, quoted) => {
  expect(shellWord(word)).toBe(quoted);
});
