// Text to token ids for a bundle's text encoders: tokenizer.json through @huggingface/tokenizers (one code path
// for CLIP BPE, T5 unigram and the tiny word-level vocabularies), encoded WITHOUT special tokens, then the
// manifest's rules (BUNDLE_FORMAT.md): lower-case, BOS, truncate, EOS, pad to max_length.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { TokenizerRules } from './manifest-schema.js';

/** A tokenizer bound to its padding and truncation rules. */
export class BundleTokenizer {
  private constructor(
    readonly file: string,
    private readonly tokenizer: Tokenizer,
    readonly rules: TokenizerRules,
    private readonly unknownId: number | null,
  ) {}

  /**
   * Loads a tokenizer.json file.
   * @throws Error naming the file when it is missing or not a tokenizer the library understands.
   */
  static load(file: string, rules: TokenizerRules): BundleTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read tokenizer ${file}: ${(error as Error).message}`);
    }
    try {
      const tokenizer = new Tokenizer(json as object, {});
      // The library leaves words missing from a WordLevel vocabulary undefined instead of mapping them to the
      // model's unk token, as the Rust/Python tokenizers do; the id is resolved here once.
      const unkToken = (json as { model?: { unk_token?: unknown } }).model?.unk_token;
      const unknownId = typeof unkToken === 'string' ? tokenizer.token_to_id(unkToken) ?? null : null;
      return new BundleTokenizer(file, tokenizer, rules, unknownId);
    } catch (error) {
      throw new Error(`tokenizer ${path.basename(file)} is not a tokenizer.json @huggingface/tokenizers can load: ${(error as Error).message}`);
    }
  }

  /**
   * The ids of `text` without special tokens (lower-cased first when the rules say so).
   * @throws Error when a word is outside the vocabulary and the tokenizer has no unk token.
   */
  rawIds(text: string): number[] {
    const input = this.rules.lowercase ? text.toLowerCase() : text;
    const encoding = this.tokenizer.encode(input, { add_special_tokens: false });
    return encoding.ids.map((id: number | undefined, i: number) => {
      if (typeof id === 'number') return id;
      if (this.unknownId !== null) return this.unknownId;
      throw new Error(`tokenizer ${path.basename(this.file)} has no id for '${encoding.tokens[i]}' and no unk token`);
    });
  }

  /**
   * The words of `text` the vocabulary lacks, each once, in order: the encoder reads them as its unknown token
   * (a word-level vocabulary such as kontext-tiny's; byte-level BPE and unigram vocabularies have none).
   */
  unknownWords(text: string): string[] {
    const input = this.rules.lowercase ? text.toLowerCase() : text;
    // The library names an unknown piece by the unk token, not by its text (and gives no offsets): so the words
    // and punctuation marks are encoded one by one, and one with an unknown piece is reported whole.
    const pieces = input.match(/[\p{L}\p{N}'-]+|[^\s\p{L}\p{N}]/gu) ?? [];
    const unknown = pieces.filter((word) => {
      const { ids } = this.tokenizer.encode(word, { add_special_tokens: false });
      return ids.some((id: number | undefined) => typeof id !== 'number' || id === this.unknownId);
    });
    return [...new Set(unknown)];
  }

  /** Exactly `max_length` ids: [bos] + text (truncated) + [eos] + padding, as int64 for the encoder. */
  encode(text: string): BigInt64Array {
    return BigInt64Array.from(this.encodeToNumbers(text), (id) => BigInt(id));
  }

  /** `encode` as plain numbers (for tests and logs). */
  encodeToNumbers(text: string): number[] {
    const { max_length: maxLength, bos_id: bos, eos_id: eos, pad_id: pad } = this.rules;
    const room = maxLength - (bos === null ? 0 : 1) - (eos === null ? 0 : 1);
    const ids: number[] = [];
    if (bos !== null) ids.push(bos);
    ids.push(...this.rawIds(text).slice(0, Math.max(0, room)));
    if (eos !== null) ids.push(eos);
    while (ids.length < maxLength) ids.push(pad);
    return ids;
  }

  /** Whether `text` had to be cut to fit (the UI can warn about long instructions). */
  truncates(text: string): boolean {
    const { max_length: maxLength, bos_id: bos, eos_id: eos } = this.rules;
    return this.rawIds(text).length > maxLength - (bos === null ? 0 : 1) - (eos === null ? 0 : 1);
  }
}
