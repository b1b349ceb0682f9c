import { randomInt } from 'node:crypto';
import type { PayloadCodec } from '@temporalio/common';

/**
 * Looks for secret values in text that ripcord wrote: decoded workflow
 * histories, log lines, audit records. A value counts as leaked in any form a
 * careless line of code could produce: as written, base64 (any alignment,
 * standard or URL alphabet), hex, or a fragment of it (a message cut at some
 * length keeps the first part of a value, so any WINDOW characters in a row
 * count).
 */

/** Characters in a row of a secret that count as a leak of it. */
export const WINDOW = 12;

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A long random value that no other text on the machine contains by chance. */
export function randomSecret(length = 48): string {
  let value = '';
  for (let i = 0; i < length; i++) value += ALPHABET[randomInt(ALPHABET.length)];
  return value;
}

export interface SecretForm {
  form: string;
  text: string;
  /** For a fragment: where it starts in the value, so a find can be widened to all of the value it shows. */
  start?: number;
}

/** Every form of `value` to look for. */
export function secretForms(value: string): SecretForm[] {
  const forms: SecretForm[] = [{ form: 'as written', text: value }];
  const bytes = Buffer.from(value, 'utf8');
  // Base64 of a value inside a longer text depends on where it starts (mod 3): take each alignment,
  // dropping the groups that mix in the bytes before it and the padding after it.
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(offset === 0 ? 0 : 4, -4);
    forms.push({ form: `base64 (offset ${offset})`, text: core });
    forms.push({ form: `base64url (offset ${offset})`, text: core.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  forms.push({ form: 'hex', text: bytes.toString('hex') });
  forms.push({ form: 'HEX', text: bytes.toString('hex').toUpperCase() });
  for (let start = 0; start + WINDOW <= value.length; start++) {
    forms.push({ form: 'a piece', text: value.slice(start, start + WINDOW), start });
  }
  return forms;
}

export interface Leak {
  secret: string;
  form: string;
  where: string;
  /** The text around the leak, with the leaked part masked, so a failure report leaks nothing further. */
  context: string;
}

/** Every leak of any of `secrets` (name → value) in `text`. */
export function findLeaks(text: string, secrets: Record<string, string>, where: string): Leak[] {
  const leaks: Leak[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    for (const { form, text: needle, start } of secretForms(value)) {
      const at = text.indexOf(needle);
      if (at < 0) continue;
      let from = at;
      let to = at + needle.length;
      let described = form;
      if (start !== undefined) {
        // Widen a piece to all of the value that stands there, and say how much that is.
        while (from > 0 && start - (at - from) > 0 && text[from - 1] === value[start - (at - from) - 1])
          from--;
        while (to < text.length && start + (to - at) < value.length && text[to] === value[start + (to - at)])
          to++;
        described = `${to - from} of its ${value.length} characters, from character ${start - (at - from)}`;
      }
      const before = text.slice(Math.max(0, from - 100), from);
      const after = text.slice(to, to + 40);
      leaks.push({
        secret: name,
        form: described,
        where,
        context: `${before}«${name}»${after}`.replace(/\s+/g, ' '),
      });
      break; // one form per secret and place is enough to fail, and to say where
    }
  }
  return leaks;
}

/** Leaks as a readable report for a failed expectation. */
export function describeLeaks(leaks: Leak[]): string {
  return leaks.map((l) => `${l.secret} (${l.form}) in ${l.where}: …${l.context}…`).join('\n');
}

interface PayloadLike {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

function isPayload(value: unknown): value is PayloadLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as PayloadLike;
  return (
    candidate.metadata !== undefined &&
    candidate.metadata !== null &&
    typeof candidate.metadata === 'object' &&
    Object.values(candidate.metadata).every((v) => v instanceof Uint8Array) &&
    (candidate.data === undefined || candidate.data === null || candidate.data instanceof Uint8Array)
  );
}

const utf8 = (bytes: Uint8Array | null | undefined) =>
  Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

export interface RawPayload {
  path: string;
  encoding: string;
  data: string;
}

export interface HistoryText {
  /** Every string and every payload of the history, payloads decoded (with the codec, when given). */
  text: string;
  /** Every payload as stored in the server, before any decoding. */
  rawPayloads: RawPayload[];
  /** Every string of the history that is not inside a payload (failure messages, ids, names...). */
  plainStrings: Array<{ path: string; value: string }>;
}

/**
 * A history (as `fetchHistory()` returns it) as text: walks every field, and
 * turns every payload into its decoded JSON, so that a secret anywhere in the
 * history (inputs, results, heartbeats, failures, search attributes, memos)
 * is in the text. `'as stored'` leaves payloads as the server keeps them.
 */
export async function historyText(
  history: unknown,
  decoding: { codec?: PayloadCodec } | 'as stored' = {},
): Promise<HistoryText> {
  const lines: string[] = [];
  const rawPayloads: RawPayload[] = [];
  const plainStrings: HistoryText['plainStrings'] = [];
  const seen = new Set<unknown>();

  const walk = async (value: unknown, path: string): Promise<void> => {
    if (value === null || value === undefined) return;
    if (typeof value === 'string') {
      lines.push(`${path}: ${value}`);
      plainStrings.push({ path, value });
      return;
    }
    if (value instanceof Uint8Array) {
      lines.push(`${path}: ${utf8(value)}`);
      return;
    }
    if (typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (isPayload(value)) {
      const encoding = utf8(value.metadata?.encoding);
      rawPayloads.push({ path, encoding, data: utf8(value.data) });
      let decoded: PayloadLike = value;
      if (encoding === 'binary/encrypted' && decoding !== 'as stored') {
        const { codec } = decoding;
        if (!codec) throw new Error(`${path}: an encrypted payload and no codec to decode it`);
        decoded = ((await codec.decode([value as never])) as PayloadLike[])[0] ?? value;
      }
      const metadata = Object.entries(decoded.metadata ?? {}).map(([k, v]) => `${k}=${utf8(v)}`);
      lines.push(`${path} [payload ${metadata.join(' ')}]: ${utf8(decoded.data)}`);
      return;
    }
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>);
    for (const [key, child] of entries) await walk(child, path ? `${path}.${key}` : key);
  };

  await walk(history, '');
  return { text: lines.join('\n'), rawPayloads, plainStrings };
}
