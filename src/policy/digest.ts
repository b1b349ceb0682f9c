/**
 * A content digest as ripcord writes it everywhere (artifacts, releases, plan
 * and policy hashes): "sha256:" and 64 lowercase hex digits. The one
 * definition: security, targets, activities and workflows import it from here,
 * the lowest layer that needs it (it imports nothing of the project).
 */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The form in words, for messages that refuse something else. */
export const SHA256_DIGEST_FORM = '"sha256:" followed by 64 lowercase hex digits';

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value);
}
