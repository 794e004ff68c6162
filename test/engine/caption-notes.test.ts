import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { isRequired, missingRequired } from '../../src/graph/catalog';
import type { Float32Tensor } from '../../src/tensor/tensor';
import { bundledRuntime, runGraph } from '../helpers/models';

const runtime = await bundledRuntime();

const encodeGraph = (text: string) => [
  { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' } },
  { id: 'prompt', type: 'text/prompt', params: { text } },
  { id: 'enc', type: 'clip/text-encode', inputs: { model: 'clip.model', text: 'prompt.text' } },
];

describe('a natural phrasing read by a word-level model', () => {
  it('is read as the canonical caption (the same embedding), noted on the Prompt where it was typed', async () => {
    const { engine, result } = await runGraph(runtime, encodeGraph('a red circle to the left of a blue square'));
    expect(result.ok).toBe(true);
    expect(result.nodes.enc!.notes).toEqual([
      {
        message: 'read as: a red circle left of a blue square ("to the left of" -> "left of")',
        field: 'inputs.text',
        origin: { nodeId: 'prompt', field: 'params.text' },
      },
    ]);
    const canonical = await runGraph(runtime, encodeGraph('a red circle left of a blue square'));
    expect(canonical.result.nodes.enc!.notes).toBeUndefined();
    const a = engine.outputsOf('enc')!.embedding as Float32Tensor;
    const b = canonical.engine.outputsOf('enc')!.embedding as Float32Tensor;
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    // a cached result says it again
    const again = await engine.run();
    expect(again.nodes.enc!.status).toBe('cached');
    expect(again.nodes.enc!.notes?.[0]?.message).toMatch(/^read as: a red circle left of a blue square/);
  });

  it('still names a word the world does not know', async () => {
    const { result } = await runGraph(runtime, encodeGraph('a red circle next to a blue square'));
    expect(result.nodes.enc!.message).toMatch(/unknown word "next"/);
    expect(result.nodes.enc!.origin).toEqual({ nodeId: 'prompt', field: 'params.text' });
  });
});

describe('an input made required by another', () => {
  const decode = createRegistry().get('diffusion/decode')!;

  it("marks the decoder's clip required once text is wired", () => {
    expect(isRequired(decode.inputs.clip!, {})).toBe(false);
    expect(isRequired(decode.inputs.clip!, { text: 'prompt.text' })).toBe(true);
    expect(missingRequired(decode, { decoder: 'm.model' })).toBeUndefined();
    expect(missingRequired(decode, { decoder: 'm.model', text: 'prompt.text', clip: 'clip.model' })).toBeUndefined();
  });

  it('fails a run without it, naming the input and why', async () => {
    const { result } = await runGraph(runtime, [
      { id: 'dm', type: 'diffusion/load-model', params: { model: 'mini-unclip-decoder' } },
      { id: 'prompt', type: 'text/prompt', params: { text: 'a red circle' } },
      {
        id: 'decoder',
        type: 'diffusion/decode',
        params: { steps: 1 },
        inputs: { decoder: 'dm.model', text: 'prompt.text' },
      },
    ]);
    expect(result.nodes.decoder).toMatchObject({
      status: 'error',
      field: 'inputs.clip',
      message: 'a Model is required here once "text" is wired: the CLIP model encodes the caption',
    });
  });
});

describe('an unknown word in a rewritten caption', () => {
  it('is traced to the Prompt where it was typed, punctuation and hyphens as the caption was read', async () => {
    const { result } = await runGraph(runtime, encodeGraph('A red-dragon, to the left of a blue square.'));
    expect(result.nodes.enc!.message).toMatch(/^unknown word "dragon" in "a red dragon left of a blue square"/);
    expect(result.nodes.enc!.origin).toEqual({ nodeId: 'prompt', field: 'params.text' });
  });
});

describe('the world nodes read natural phrasings as the grammar does', () => {
  it('render a scene for "to the left of" that the pixel reader grades right against the same words', async () => {
    const phrase = 'a red circle to the left of a blue square';
    const { engine, result } = await runGraph(runtime, [
      { id: 'scene', type: 'world/render-scene', params: { caption: phrase, count: 3, seed: 5 } },
      { id: 'prompt', type: 'text/prompt', params: { text: phrase } },
      { id: 'reader', type: 'world/read-picture', inputs: { image: 'scene.image', text: 'prompt.text' } },
    ]);
    expect(result.ok).toBe(true);
    const read = 'read as: a red circle left of a blue square ("to the left of" -> "left of")';
    expect(result.nodes.scene!.notes).toEqual([{ message: read, field: 'params.caption' }]);
    expect(result.nodes.reader!.notes).toEqual([
      { message: read, field: 'inputs.text', origin: { nodeId: 'prompt', field: 'params.text' } },
    ]);
    const grade = engine.outputsOf('reader')!.grade as { values: Float32Tensor; labels: string[] };
    expect(grade.labels).toHaveLength(4); // counted, pairs, relation, every attribute: all right for all three
    expect(Array.from(grade.values.data)).toEqual(Array(12).fill(1));
  });
});
