// Encode Text: the edit instruction through both text encoders (the CLIP role's pooled vector and the T5 role's
// sequence). Cached, so changing only the strength never re-encodes the text.
import { defineNode } from '../../server/engine/node-definition.js';
import { SOCKET, MODEL_INPUT, type Conditioning, type KontextModel } from './sockets.js';
import { expectKind } from './checks.js';
import { kontextPipeline } from './pipeline-access.js';

/**
 * What the person should know about how the model reads the instruction: words it has never seen (a small model's
 * word-level vocabulary reads them as "unknown", so the edit ignores them) and an instruction cut to its length.
 */
export function textNotes(model: string, unknownWords: string[], truncated: boolean): string[] {
  const notes: string[] = [];
  if (unknownWords.length > 0) {
    const words = unknownWords.map((w) => `"${w}"`).join(', ');
    const them = unknownWords.length === 1 ? 'it' : 'them';
    notes.push(`${model} does not know ${words} and reads ${them} as unknown: rephrase with words it knows (its model card says what it was trained on).`);
  }
  if (truncated) notes.push(`the instruction is longer than ${model} reads: the end is cut.`);
  return notes;
}

export const kontextTextEncode = defineNode({
  id: 'KontextTextEncode',
  displayName: 'Encode Text',
  category: 'kontext',
  description:
    'Turns the edit instruction ("make it night", "turn the ball red") into the conditioning the denoiser follows. ' +
    'Write what should change, not a description of the whole picture. After a run it notes any words the model ' +
    'does not know (a small model reads them as unknown) and an instruction too long for it.',
  inputs: {
    required: {
      model: MODEL_INPUT,
      instruction: {
        type: 'STRING',
        multiline: true,
        default: 'make it night',
        tooltip: 'The edit to make, in plain words. Long texts are cut to the model\'s text length.',
      },
    },
  },
  outputs: [{ type: SOCKET.CONDITIONING, name: 'CONDITIONING', tooltip: 'The encoded instruction, for Projector and Kontext Denoise.' }],
  validate(inputs) {
    return typeof inputs.instruction === 'string' && inputs.instruction.trim().length === 0
      ? 'the instruction is empty: write the edit to make, e.g. "make it night" (for cfg against the empty ' +
          "instruction, leave Kontext Denoise's negative unconnected: that is its default)"
      : null;
  },
  async run(ctx, inputs) {
    const model = expectKind<KontextModel>(inputs.model, 'KONTEXT_MODEL', 'model');
    const text = String(inputs.instruction);
    const encoded = await kontextPipeline(ctx.services).encodeText(model.handle, text);
    const conditioning: Conditioning = {
      kind: 'CONDITIONING',
      model: model.name,
      text,
      pooled: encoded.pooled.data,
      pooledDim: encoded.pooled.dims[1]!,
      embeds: encoded.embeds.data,
      seqLen: encoded.embeds.dims[1]!,
      embedDim: encoded.embeds.dims[2]!,
    };
    const notes = textNotes(model.name, encoded.unknownWords, encoded.truncated);
    return notes.length > 0 ? { outputs: [conditioning], ui: { text: notes } } : { outputs: [conditioning] };
  },
});
