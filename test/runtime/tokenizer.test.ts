// Tokenisation rules of BUNDLE_FORMAT.md on a small word-level tokenizer.json written by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BundleTokenizer } from '../../server/runtime/tokenizer.js';

const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const vocab = { '<pad>': 0, '</s>': 1, '<unk>': 2, '<s>': 3, make: 4, the: 5, sky: 6, red: 7, '.': 8, a: 9 };
const tokenizerJson = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>'), special(3, '<s>')],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
};

function writeTokenizer(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(tokenizerJson));
  return file;
}

test('CLIP-style rules: lower-case, BOS, EOS, pad with EOS to max_length', () => {
  const file = writeTokenizer();
  const clip = BundleTokenizer.load(file, { max_length: 8, bos_id: 3, eos_id: 1, pad_id: 1, lowercase: true });
  assert.deepEqual(clip.encodeToNumbers('Make the SKY red.'), [3, 4, 5, 6, 7, 8, 1, 1]);
  const ids = clip.encode('make the sky red.');
  assert.ok(ids instanceof BigInt64Array);
  assert.deepEqual(Array.from(ids), [3n, 4n, 5n, 6n, 7n, 8n, 1n, 1n]);
});

test('T5-style rules: no BOS, EOS then pad 0, case kept, unknown words map to unk', () => {
  const t5 = BundleTokenizer.load(writeTokenizer(), { max_length: 6, bos_id: null, eos_id: 1, pad_id: 0, lowercase: false });
  assert.deepEqual(t5.encodeToNumbers('make the sky'), [4, 5, 6, 1, 0, 0]);
  assert.deepEqual(t5.encodeToNumbers('Make purple'), [2, 2, 1, 0, 0, 0]);
  assert.deepEqual(t5.encodeToNumbers(''), [1, 0, 0, 0, 0, 0]);
});

test('truncation keeps max_length - 1 - (bos ? 1 : 0) text tokens and still ends with EOS', () => {
  const clip = BundleTokenizer.load(writeTokenizer(), { max_length: 5, bos_id: 3, eos_id: 1, pad_id: 1, lowercase: true });
  assert.deepEqual(clip.encodeToNumbers('make the sky red .'), [3, 4, 5, 6, 1]);
  assert.ok(clip.truncates('make the sky red .'));
  assert.ok(!clip.truncates('make the sky'));
  const t5 = BundleTokenizer.load(writeTokenizer(), { max_length: 3, bos_id: null, eos_id: 1, pad_id: 0, lowercase: false });
  assert.deepEqual(t5.encodeToNumbers('make the sky'), [4, 5, 1]);
});

test('unknownWords names the words and marks the vocabulary lacks, each once, as the user wrote them', () => {
  const clip = BundleTokenizer.load(writeTokenizer(), { max_length: 8, bos_id: 3, eos_id: 1, pad_id: 1, lowercase: true });
  assert.deepEqual(clip.unknownWords('Make the sky red.'), []);
  // "sky," is a known word and an unknown mark; a repeated unknown word is named once.
  assert.deepEqual(clip.unknownWords('Make the sky, purple purple! a sunset'), [',', 'purple', '!', 'sunset']);
  const t5 = BundleTokenizer.load(writeTokenizer(), { max_length: 6, bos_id: null, eos_id: 1, pad_id: 0, lowercase: false });
  assert.deepEqual(t5.unknownWords('Make the sky'), ['Make'], 'case kept where the rules keep it');
  assert.deepEqual(t5.unknownWords(''), []);
});

test('a missing or malformed tokenizer file is named in the error', () => {
  const rules = { max_length: 4, bos_id: null, eos_id: 1, pad_id: 0, lowercase: false };
  assert.throws(() => BundleTokenizer.load('/nonexistent/tokenizer.json', rules), /cannot read tokenizer \/nonexistent\/tokenizer\.json/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"model": {"type": "NoSuchModel"}}');
  assert.throws(() => BundleTokenizer.load(path.join(dir, 'bad.json'), rules), /bad\.json/);
});
