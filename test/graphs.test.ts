import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import { serializeGraph } from '../src/graph/validate';
import type { Scores } from '../src/node-api/values';
import { CURRENT_VERSION, type GraphDocument } from '../src/graph/document';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import type { ModelRuntime } from '../src/models/runtime/runtime';

const dir = new URL('../graphs/', import.meta.url);
const files = [
  ...readdirSync(dir).filter((f) => f.endsWith('.json')),
  ...readdirSync(new URL('study/', dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `study/${f}`),
].sort();
let models: ModelRuntime | undefined;
beforeAll(async () => {
  models = await createModelRuntime();
});

const engine = () => new Engine(createRegistry(), nodeServices({ models }));

/** The example graphs as earlier products saved them (test/fixtures/graphs/README.md). */
const fixtureDir = new URL('fixtures/graphs/', import.meta.url);
const fixtures = readdirSync(fixtureDir)
  .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
  .flatMap((v) =>
    readdirSync(new URL(`${v}/`, fixtureDir))
      .filter((f) => f.endsWith('.json'))
      .map((f) => `${v}/${f}`),
  )
  .sort();

describe('example graphs as earlier products saved them', () => {
  it('cover three releases, v1 and v2 documents, and an older node version', () => {
    const docs = fixtures.map((f) => JSON.parse(readFileSync(new URL(f, fixtureDir), 'utf8')) as GraphDocument);
    expect(new Set(fixtures.map((f) => f.split('/')[0]))).toEqual(new Set(['0.1.0', '0.2.0', '0.3.0']));
    expect(new Set(docs.map((d) => d.version))).toEqual(new Set([1, 2]));
    expect(docs.some((d) => d.nodes.some((n) => n.type === 'mask/resize' && n.params?.size !== undefined))).toBe(true);
  });

  it.each(fixtures)('%s opens at the current version and runs every node', async (file) => {
    const e = engine();
    const { doc, placeholders } = e.loadWithPlaceholders(readFileSync(new URL(file, fixtureDir), 'utf8'));
    expect(placeholders).toEqual([]);
    expect(doc.version).toBe(CURRENT_VERSION);
    for (const n of doc.nodes)
      if (!n.type.startsWith('subgraph/')) expect(n.version).toBe(e.types.get(n.type)!.version);
    const r = await e.run();
    const failed = Object.entries(r.nodes)
      .filter(([, n]) => n.status !== 'done' && n.status !== 'cached')
      .map(([id, n]) => `${id}: ${n.message}`);
    expect(failed).toEqual([]);
  });

  it("0.3.0's mask/resize (one square size) migrates to width and height, and makes the same mask", async () => {
    const e = engine();
    const doc = e.load(readFileSync(new URL('0.3.0/inpaint.json', fixtureDir), 'utf8'));
    expect(doc.nodes.find((n) => n.id === 'mask256')).toMatchObject({
      version: 2,
      params: { width: 256, height: 256, method: 'bilinear' },
    });
    await e.run({ targets: ['mask256'] });
    const old = e.outputsOf('mask256')!.mask;
    const now = engine();
    now.load(readFileSync(new URL('../graphs/inpaint.json', import.meta.url), 'utf8'));
    await now.run({ targets: ['mask256'] });
    expect(now.outputsOf('mask256')!.mask).toEqual(old);
  });
});

describe('example graphs', () => {
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(4));

  it.each(files)('%s loads, runs every node, and has a title and a description', async (file) => {
    const e = engine();
    const text = readFileSync(new URL(file, dir), 'utf8');
    const doc = e.load(text);
    // saved in the current format, every node with its type's version (parse and save change nothing)
    expect(serializeGraph(doc)).toBe(text);
    expect(doc.meta?.title).toBeTruthy();
    expect(doc.meta?.description).toBeTruthy();
    const r = await e.run();
    const failed = Object.entries(r.nodes)
      .filter(([, n]) => n.status !== 'done' && n.status !== 'cached')
      .map(([id, n]) => `${id}: ${n.message}`);
    expect(failed).toEqual([]);
    if (!doc.subgraphs) expect(r.ran).toBe(doc.nodes.length);
    else {
      // every node and every inner node ran, but the inner nodes two instances share ran once
      const inner = doc.nodes.reduce((k, n) => k + (doc.subgraphs![n.type.slice(9)]?.nodes.length ?? 0), 0);
      expect(Object.keys(r.nodes)).toHaveLength(doc.nodes.length + inner);
      expect(r.ran + r.fromCache).toBe(doc.nodes.length + inner);
      expect(r.fromCache).toBeGreaterThan(0);
    }
  });

  it('zero-shot-classify picks the right label and changing the labels re-runs only what depends on them', async () => {
    const e = engine();
    e.load(readFileSync(new URL('zero-shot-classify.json', dir), 'utf8'));
    await e.run();
    expect(e.outputsOf('classify')!.top).toEqual(['red circle']);
    e.setParam('labels', 'text', 'blue square\nred circle');
    const r = await e.run();
    expect(r.ran).toBe(2); // labels and classify; the image and the model come from the cache
    const probs = e.outputsOf('classify')!.probabilities as Scores;
    expect(probs.labels).toEqual(['blue square', 'red circle']);
    expect(probs.values.data[1]).toBeGreaterThan(0.5);
  });

  it('clip-rank puts first the candidate whose full description is the query', async () => {
    const e = engine();
    e.load(readFileSync(new URL('clip-rank.json', dir), 'utf8'));
    await e.run();
    const scenes = e.outputsOf('candidates')!.scene as string[];
    for (const pick of [2, 5]) {
      e.setParam('query', 'text', scenes[pick]!);
      const r = await e.run();
      expect(r.ran).toBe(2); // the query and the ranking; candidates and model are cached
      expect((e.outputsOf('rank')!.order as string[])[0]).toBe(`image ${pick}`);
    }
    expect((e.outputsOf('rank')!.top as { shape: number[] }).shape).toEqual([2, 64, 64, 3]);
  });

  it('caption-similarity has its largest entries on the diagonal', async () => {
    const e = engine();
    e.load(readFileSync(new URL('caption-similarity.json', dir), 'utf8'));
    await e.run();
    const m = (e.outputsOf('similarity')!.matrix as Scores).values;
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) if (i !== j) expect(m.data[i * 4 + i]!).toBeGreaterThan(m.data[i * 4 + j]!);
  });
});

describe('generative example graphs', () => {
  it(
    'text-to-image gives one 256x256 picture, the 64x64 one it carries (up64), the decoder a 32x32 one and a ' +
      'trajectory, and the same seed gives the same bits',
    async () => {
      const run = async () => {
        const e = engine();
        e.load(readFileSync(new URL('text-to-image.json', dir), 'utf8'));
        e.setParam('decoder', 'steps', 10);
        await e.run();
        return e;
      };
      const e = await run();
      const img = e.outputsOf('image')!.image as { shape: number[]; data: Float32Array };
      expect(img.shape).toEqual([1, 256, 256, 3]);
      expect((e.outputsOf('up64')!.image as { shape: number[] }).shape).toEqual([1, 64, 64, 3]);
      expect((e.outputsOf('decoder')!.image as { shape: number[] }).shape).toEqual([1, 32, 32, 3]);
      expect((e.outputsOf('decoder')!.trajectory as { shape: number[] }).shape).toEqual([10, 32, 32, 3]);
      const again = (await run()).outputsOf('image')!.image as { data: Float32Array };
      expect(Buffer.from(again.data.buffer).equals(Buffer.from(img.data.buffer))).toBe(true);
    },
  );

  it(
    'text-to-image draws what the caption asks: mini-CLIP reads the colour and shape of each picture (at least 3 ' +
      'of 4 prompts)',
    async () => {
      const { encodeImages, encodeTexts, resolveClip, softmaxRows } = await import('../src/models/pipelines/clip');
      const { cosineMatrix } = await import('../src/tensor/vector');
      const { COLOURS, SHAPES } = await import('../src/world/spec');
      const clip = resolveClip(models!, 'mini-clip');
      const labels = COLOURS.flatMap((c) => SHAPES.map((s) => `a ${c} ${s}`));
      const labelEmb = await encodeTexts(models!, clip, labels);
      const asked = [
        ['red', 'square'],
        ['blue', 'triangle'],
        ['yellow', 'cross'],
        ['green', 'circle'],
      ] as const;
      const e = engine();
      e.load(readFileSync(new URL('text-to-image.json', dir), 'utf8'));
      const read: string[] = [];
      for (const [colour, shape] of asked) {
        e.setParam('prompt', 'text', `a large ${colour} ${shape} at the center on a white background`);
        await e.run();
        const probs = softmaxRows(
          cosineMatrix(await encodeImages(models!, clip, e.outputsOf('image')!.image as never), labelEmb),
          clip.logitScale,
        );
        read.push(labels[Array.from(probs.data).indexOf(Math.max(...probs.data))]!);
      }
      const right = asked.filter(([c, s], i) => read[i] === `a ${c} ${s}`).length;
      expect(right, `read: ${read.join('; ')}`).toBeGreaterThanOrEqual(3);
    },
  );

  it('invert-reconstruct brings the picture back (PSNR over 20 dB at 32x32)', async () => {
    const e = engine();
    e.load(readFileSync(new URL('invert-reconstruct.json', dir), 'utf8'));
    await e.run();
    const { boxDownsample } = await import('../src/tensor/image');
    const src = boxDownsample(e.outputsOf('source')!.image as never, 2);
    const out = e.outputsOf('reconstruct')!.image as { data: Float32Array };
    let mse = 0;
    for (let i = 0; i < src.data.length; i++) mse += (src.data[i]! - out.data[i]!) ** 2;
    const psnr = 10 * Math.log10(1 / (mse / src.data.length));
    expect(psnr).toBeGreaterThan(20);
  });
});

describe('zero-shot-classify from the command line', () => {
  it('classifies any picture given with --set image.src and labels.text', async () => {
    const root = new URL('..', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'src/cli/main.ts',
        'run',
        'graphs/zero-shot-classify.json',
        '--set',
        'image.src=public/examples/blue-square.png',
        '--set',
        'labels.text=red circle\\nblue square\\nyellow triangle',
        '--json',
      ],
      { cwd: root },
    );
    const out = JSON.parse(stdout);
    expect(out.nodes.classify.outputs.top.value).toEqual(['blue square']);
    expect(out.nodes.classify.outputs.probabilities.value.labels).toEqual([
      'red circle',
      'blue square',
      'yellow triangle',
    ]);
  });

  it('names the node and param when the picture is missing or not a PNG', async () => {
    const root = new URL('..', import.meta.url).pathname;
    const r = await promisify(execFile)(
      'npx',
      ['tsx', 'src/cli/main.ts', 'run', 'graphs/zero-shot-classify.json', '--set', 'image.src=package.json'],
      { cwd: root },
    ).catch((e) => e);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node "image": package\.json is not a PNG file/);
  });
});
