// Encodes texts with @huggingface/tokenizers (the runtime's tokenizer library) WITHOUT special tokens and prints
// {tokens, ids} per text as JSON. Used by the Python tests to prove the exported tokenizer.json files load in
// JS and agree with the Python encoders. Usage: node training/tests/tokenize.mjs TOKENIZER_JSON TEXTS_JSON
import fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

const [file, textsFile] = process.argv.slice(2);
const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(file, 'utf8')), {});
const texts = JSON.parse(fs.readFileSync(textsFile, 'utf8'));
console.log(JSON.stringify(texts.map((text) => {
  const encoding = tokenizer.encode(text, { add_special_tokens: false });
  return { tokens: encoding.tokens, ids: encoding.ids };
})));
