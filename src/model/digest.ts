/**
 * A content digest as ripcord writes it everywhere (artifacts, releases, plan
 * and policy hashes): "sha256:" and 64 lowercase hex digits. The one
 * definition; it imports nothing, so workflow code may use it too.
 */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The form in words, for messages that refuse something else. */
export const SHA256_DIGEST_FORM = '"sha256:" followed by 64 lowercase hex digits';

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value);
}
