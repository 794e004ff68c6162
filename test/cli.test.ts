import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CURRENT_VERSION } from '../src/graph/document';
import { describe, expect, it } from 'vitest';
import { countTrace, traceTable } from '../eval/count-trace';
import { applyOverride, overrideFlags } from '../eval/eval-compose-report';
import { graphSettings, pathGraph } from '../eval/eval-compose';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { cudaProblem } from '../src/models/runtime/device-node';
import type { Float32Tensor } from '../src/tensor/tensor';
import { readPicture } from '../src/world/read';
import { embedText, extractGraph } from '../src/graph/png-graph';
import { embedProvenance, PNG_PROVENANCE_KEYWORD, readProvenance } from '../src/graph/provenance';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run graph -- run', () => {
  it('prints one JSON object with status, time, cache flag, shapes and small values', async () => {
    const r = await cli('run', 'graphs/embedding-playground.json', '--set', 'mid.t=0.25', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.nodes.mid).toMatchObject({ status: 'done', cached: false, outputs: { out: { shape: [1, 64] } } });
    expect(typeof out.nodes.mid.ms).toBe('number');
    expect(out.nodes.names.outputs.text.value).toEqual(['a', 'slerp(a, b, 0.5)', 'b']);
    const sims = out.nodes.similarity.outputs.matrix.value.values as number[];
    expect(sims[1]!).toBeGreaterThan(sims[5]!); // t = 0.25 sits nearer a than b
  });

  it('traces an unknown word to the node it was typed in, listing the words the model knows', async () => {
    const r = await cli('run', 'graphs/zero-shot-classify.json', '--set', 'labels.text=red dragon');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /node "classify": unknown word "dragon" .*knows \d+ words: .*square.* \(typed in node "labels", params\.text\)/,
    );
  });

  it('--device cuda runs on the CPU where CUDA cannot be had, saying why, with the same outputs', async () => {
    const why = cudaProblem();
    const cuda = await cli('run', 'graphs/zero-shot-classify.json', '--device', 'cuda', '--json');
    expect(cuda.code, cuda.stderr).toBe(0);
    if (why) expect(cuda.stderr).toContain(`note: --device cuda: the models run on the CPU instead: ${why}`);
    const cpu = await cli('run', 'graphs/zero-shot-classify.json', '--native', '--json');
    const scores = (r: { stdout: string }) => JSON.parse(r.stdout).nodes.classify.outputs;
    expect(scores(cuda)).toEqual(scores(cpu));
    const bad = await cli('run', 'graphs/zero-shot-classify.json', '--device', 'gpu');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--device must be one of cpu, cuda, got "gpu"/);
  });

  it('fails with a message naming the node for a bad --set', async () => {
    let r = await cli('run', 'graphs/embedding-playground.json', '--set', 'mid.t=7');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/node "mid" params\.t: must be between 0 and 1/);
    r = await cli('run', 'graphs/embedding-playground.json', '--set', 'ghost.t=0.1');
    expect(r.stderr).toMatch(/node "ghost" is not in the graph/);
    r = await cli('run', 'graphs/embedding-playground.json', '--set', 'mid.t=abc');
    expect(r.stderr).toMatch(/"abc" is not a number/);
    r = await cli('run', 'graphs/embedding-playground.json', '--set', 'nonsense');
    expect(r.stderr).toMatch(/is not <nodeId>\.<param>=<value>/);
  });

  it('fails naming the node for a bad file and for a node error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ format: 'unclip-studio/graph', version: 1, nodes: [{ id: 'x', type: 'embedding/slerp' }] }),
    );
    let r = await cli('run', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/node "x" inputs\.a: required input/);
    const failing = join(dir, 'fail.json');
    writeFileSync(
      failing,
      JSON.stringify({
        format: 'unclip-studio/graph',
        version: 1,
        nodes: [
          { id: 'a', type: 'embedding/random', params: { dim: 8 } },
          { id: 'b', type: 'embedding/random', params: { dim: 9 } },
          { id: 'mix', type: 'embedding/slerp', inputs: { a: 'a.out', b: 'b.out' } },
        ],
      }),
    );
    r = await cli('run', failing);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node "mix": embeddings differ in dimension/);
    r = await cli('run', join(dir, 'missing.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such file/);
  });

  it('writes image outputs as PNG files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-out-'));
    const g = join(dir, 'img.json');
    writeFileSync(
      g,
      JSON.stringify({
        format: 'unclip-studio/graph',
        version: 1,
        nodes: [
          {
            id: 'scene',
            type: 'world/render-scene',
            params: { caption: 'a large red circle on a white background', seed: 3, count: 2 },
          },
        ],
      }),
    );
    const r = await cli('run', g, '--out', join(dir, 'out'));
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['scene-0.png', 'scene-1.png']);
  });
});

describe('what a graph may make the CLI read', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cli-access-'));
  const zeroShot = JSON.parse(readFileSync(join(root, 'graphs/zero-shot-classify.json'), 'utf8')) as {
    nodes: Array<{ id: string; params: Record<string, unknown> }>;
  };
  const evil = (manifest: string) => {
    const g = structuredClone(zeroShot);
    g.nodes.find((n) => n.id === 'clip')!.params.manifest = manifest;
    const file = join(tmp, `evil-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(g));
    return file;
  };

  it(
    'a graph file pointing at /etc/passwd is refused ' + 'before anything is read, and no message quotes a file',
    async () => {
      const r = await cli('run', evil('/etc/passwd'));
      expect(r.code).toBe(1);
      // a path not ending in .json is a model folder (published layouts): its files are refused the same way
      expect(r.stderr).toMatch(
        new RegExp('node "clip": /etc/passwd/config.json .*is outside the folders a graph may read'),
      );
      expect(r.stderr).not.toMatch(/root:/);
      // the same path typed by the user is the user's own: tried, and still nothing of it quoted back
      const typed = await cli('run', 'graphs/zero-shot-classify.json', '--set', 'clip.manifest=/etc/passwd');
      expect(typed.code).toBe(1);
      expect(typed.stderr).toMatch(/node "clip": \/etc\/passwd\/config\.json is missing or unreadable/);
      expect(typed.stderr).not.toMatch(/root:/);
    },
  );

  it('--allow-path opens a folder; URLs need --allow-url', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'cli-models-'));
    writeFileSync(join(outside, 'manifest.json'), '{"format": "nope"}');
    const file = evil(join(outside, 'manifest.json'));
    expect((await cli('run', file)).stderr).toMatch(/outside the folders a graph may read/);
    const allowed = await cli('run', file, '--allow-path', outside);
    expect(allowed.stderr).toMatch(/manifest\.json is invalid/);
    expect((await cli('run', evil('https://example.invalid/manifest.json'))).stderr).toMatch(
      /URLs are not fetched headless; run with --allow-url/,
    );
  });
});

describe('the graph travels with its pictures', () => {
  it('every PNG --out writes carries its graph and params; running the PNG makes the same picture', async () => {
    const out = mkdtempSync(join(tmpdir(), 'png-graph-'));
    const first = await cli('run', 'graphs/clip-rank.json', '--set', 'candidates.seed=5', '--out', out);
    expect(first.code).toBe(0);
    const png = readdirSync(out).find((f) => f.startsWith('rank') && f.endsWith('.png'))!;
    const again = mkdtempSync(join(tmpdir(), 'png-graph-again-'));
    const second = await cli('run', join(out, png), '--out', again);
    expect(second.code, second.stderr).toBe(0);
    const a = readFileSync(join(out, png)),
      b = readFileSync(join(again, png));
    expect(b.equals(a)).toBe(true); // the same picture, and the same graph in it
    const carried = JSON.parse(extractGraph(new Uint8Array(a))!) as {
      nodes: Array<{ id: string; params?: Record<string, unknown> }>;
    };
    expect(carried.nodes.find((n) => n.id === 'candidates')!.params!.seed).toBe(5); // the --set value travels too
    const plain = join(out, 'plain.png');
    writeFileSync(plain, readFileSync(join(root, 'public/examples/red-circle.png')));
    const none = await cli('run', plain);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/plain\.png is a PNG that carries no unclip-studio\/graph graph/);
  });

  it('a graph with an unknown node opens: a run needing it fails naming it, --only what does not runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'placeholder-'));
    const doc = JSON.parse(readFileSync('graphs/text-to-image.json', 'utf8')) as { nodes: object[] };
    doc.nodes.push(
      { id: 'sampler', type: 'comfy/KSampler', params: { cfg: 7 }, inputs: { model: 'decoder_model.model' } },
      { id: 'after', type: 'embedding/normalize', inputs: { in: 'sampler.LATENT' } },
    );
    const file = join(dir, 'stranger.json');
    writeFileSync(file, JSON.stringify(doc));
    const all = await cli('run', file, '--json');
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/note: node "sampler" type: unknown node type "comfy\/KSampler" \(kept as in the file/);
    const report = JSON.parse(all.stdout);
    expect(report.nodes.sampler).toMatchObject({ status: 'error', message: expect.stringMatching(/cannot run/) });
    expect(report.nodes.after.message).toBe('not run: upstream node "sampler" failed');
    expect(report.nodes.image.status).toBe('done');
    const some = await cli('run', file, '--only', 'prior');
    expect(some.code, some.stderr).toBe(0);
  });

  it('lock writes the models a graph was made with; a run with another model fails naming both hashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const file = join(dir, 'zero-shot.json');
    const doc = JSON.parse(readFileSync('graphs/zero-shot-classify.json', 'utf8')) as { models?: unknown };
    delete doc.models;
    writeFileSync(file, JSON.stringify(doc));
    const lock = await cli('lock', file);
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stdout).toMatch(/zero-shot\.json: 2 models \(mini-clip-image [0-9a-f]{12}…, mini-clip-text/);
    const locked = JSON.parse(readFileSync(file, 'utf8')) as { models: Array<{ id: string; sha256: string }> };
    expect(locked).toEqual(JSON.parse(readFileSync('graphs/zero-shot-classify.json', 'utf8')));
    // the graph says it was made with another text encoder
    const other = 'b'.repeat(64);
    locked.models.find((m) => m.id === 'mini-clip-text')!.sha256 = other;
    writeFileSync(file, JSON.stringify(locked));
    const r = await cli('run', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`error: node "clip": the graph was made with model "mini-clip-text" sha256 ${other} .*bundled`),
    );
    const unlocked = await cli('run', file, '--unlock');
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stderr).toMatch(/note: node "clip": .*\(--unlock: running with the model here\)/);
  });

  it('runs a graph with subgraphs: --set reaches an exposed param, and its PNGs carry the definitions', async () => {
    const out = mkdtempSync(join(tmpdir(), 'subgraph-'));
    const r = await cli('run', 'graphs/subgraphs.json', '--set', 'low.guidance=2', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.nodes.low).toMatchObject({ type: 'subgraph/unclip-stack', status: 'done' });
    expect(report.nodes.low.outputs.image.shape).toEqual([1, 64, 64, 3]);
    expect(report.nodes.image.outputs.image.shape).toEqual([2, 64, 64, 3]);
    const carried = JSON.parse(extractGraph(new Uint8Array(readFileSync(join(out, 'low.png'))))!) as {
      version: number;
      nodes: Array<{ id: string; params?: Record<string, unknown> }>;
      subgraphs: Record<string, { nodes: unknown[] }>;
    };
    expect(carried.version).toBe(CURRENT_VERSION);
    expect(carried.nodes.find((n) => n.id === 'low')!.params!.guidance).toBe(2);
    expect(carried.subgraphs['unclip-stack']!.nodes).toHaveLength(7);
    const again = mkdtempSync(join(tmpdir(), 'subgraph-again-'));
    const second = await cli('run', join(out, 'low.png'), '--out', again);
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(join(again, 'low.png')).equals(readFileSync(join(out, 'low.png')))).toBe(true);
    const bad = await cli('run', 'graphs/subgraphs.json', '--set', 'low.guidance=99');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/node "low".*guidance.*must be between/);
  });
});

describe("a picture's recipe: provenance and graph diff", () => {
  const out = mkdtempSync(join(tmpdir(), 'recipe-'));
  const made = Promise.all([
    cli('run', 'graphs/clip-rank.json', '--out', join(out, 'a')),
    cli('run', 'graphs/clip-rank.json', '--set', 'candidates.seed=6', '--set', 'rank.k=3', '--out', join(out, 'b')),
  ]);
  const a = join(out, 'a', 'rank-0.png');
  const b = join(out, 'b', 'rank-0.png');

  it('diff names what differs between two PNGs the CLI made (params), exit 1; the same recipe exits 0', async () => {
    for (const r of await made) expect(r.code, r.stderr).toBe(0);
    const r = await cli('diff', a, b);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `${a} -> ${b}`,
      '  params    candidates.seed: 5 -> 6',
      '  params    rank.k: 2 -> 3',
      'the recipes differ: 2 in params',
      '',
    ]);
    const same = await cli('diff', a, join(out, 'a', 'rank-1.png'));
    expect(same.stdout).toMatch(/picture {3}rank\.top #0 -> rank\.top #1/);
    const json = await cli('diff', a, 'graphs/clip-rank.json', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      same: true,
      changes: [],
      notes: ['graphs/clip-rank.json carries no provenance: models, versions and backends are not compared'],
    });
  });

  it('diff exits 2 on bad input, naming the file and never quoting it', async () => {
    await made;
    const junk = join(out, 'junk.json');
    writeFileSync(junk, '{"format": "unclip-studio/graph", "version": 2, "nodes": [{"id": "x", "type": 5}]}');
    const bad = await cli('diff', a, junk);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/junk\.json cannot be loaded/);
    expect((await cli('diff', a, join(out, 'missing.png'))).stderr).toMatch(/missing\.png: no such file/);
    expect((await cli('diff', a)).code).toBe(2);
  });

  it('running a PNG on another backend says what differs before comparing the picture', async () => {
    await made;
    const native = await cli('run', a, '--native', '--compare');
    const lines = native.stderr.split('\n');
    const said = lines.findIndex((l) => /onnxruntime: onnxruntime-web [\d.]+ -> onnxruntime-node [\d.]+/.test(l));
    const compared = lines.findIndex((l) => l.startsWith('picture rank.top #0: '));
    expect(said, native.stderr).toBeGreaterThanOrEqual(0);
    expect(lines).toContain('  backend   WASM -> native CPU');
    expect(lines).toContain('  backend   mini-clip-text ran on WASM -> native CPU');
    expect(compared).toBeGreaterThan(said);
    expect(native.code).toBe(/the same pixels/.test(lines[compared]!) ? 0 : 1);
  });

  it('running a PNG made with another model says which; a hostile provenance chunk is ignored, noticed', async () => {
    await made;
    // a picture made with another mini-clip-text (its provenance says so) and a hostile chunk beside a good graph
    const bytes = new Uint8Array(readFileSync(a));
    const theirs = readProvenance(bytes).provenance!;
    const other = join(out, 'other-model.png');
    const models = theirs.models.map((m) => (m.id === 'mini-clip-text' ? { ...m, sha256: '0'.repeat(64) } : m));
    writeFileSync(other, embedProvenance(bytes, { ...theirs, models }));
    const r = await cli('run', other, '--compare');
    expect(r.stderr).toMatch(
      /other-model\.png -> this run:\n {2}models {4}mini-clip-text sha256: 000000000000… -> [0-9a-f]{12}…\n/,
    );
    expect(r.stderr).toMatch(/picture rank\.top #0: the same pixels/);
    expect(r.code).toBe(0);
    const hostile = join(out, 'hostile.png');
    writeFileSync(
      hostile,
      embedText(
        bytes,
        PNG_PROVENANCE_KEYWORD,
        '{"format":"unclip-studio/provenance","version":1,"x":' + '['.repeat(9_000) + ']'.repeat(9_000) + '}',
      ),
    );
    const h = await cli('run', hostile);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toMatch(/notice: .*hostile\.png: its provenance is invalid: .*; its provenance is ignored/);
    expect(h.stderr).toMatch(/hostile\.png carries no provenance: models, versions and backends are not compared/);
    expect((await cli('run', hostile, '--compare')).code).toBe(2); // no picture named: nothing to compare
  });
});

describe('npm run eval:unclip -- --compose, exploring the sampler', () => {
  const evalUnclip = async (...args: string[]) => {
    try {
      await run('npx', ['tsx', 'eval/eval-unclip.ts', ...args], { cwd: root });
      return { code: 0, stderr: '' };
    } catch (e) {
      return e as { code: number; stderr: string };
    }
  };

  it('refuses a decoder override out of range, naming the flag, before any model loads', async () => {
    let r = await evalUnclip('--compose', '--graph-eta', '2');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--graph-eta \(diffusion\/decode's eta\): must be between 0 and 1, got "2"/);
    r = await evalUnclip('--compose', '--graph-steps', '2.5');
    expect(r.stderr).toMatch(/--graph-steps \(diffusion\/decode's steps\): must be an integer, got "2\.5"/);
    r = await evalUnclip('--compose', '--graph-guidance', ' ');
    expect(r.stderr).toMatch(/--graph-guidance \(diffusion\/decode's guidance\): " " is not a number/);
    r = await evalUnclip('--compose', '--graph-guidance', 'lots');
    expect(r.stderr).toMatch(/--graph-guidance \(diffusion\/decode's guidance\): "lots" is not a number/);
    r = await evalUnclip('--compose', '--graph-candidates', '0');
    expect(r.stderr).toMatch(/--graph-candidates \(diffusion\/prior's candidates\): must be between 1 and 16, got "0"/);
    r = await evalUnclip('--compose', '--graph-prior-guidance', '25');
    expect(r.stderr).toMatch(
      /--graph-prior-guidance \(diffusion\/prior's guidance\): must be between 0 and 20, got "25"/,
    );
    // the main eval's sampler flags (the graph's own settings otherwise)
    r = await evalUnclip('--prior-guidance', 'lots');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--prior-guidance \(diffusion\/prior's guidance\): "lots" is not a number/);
    r = await evalUnclip('--decoder-steps', '0');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--decoder-steps \(diffusion\/decode's steps\): must be between 1 and 1000, got "0"/);
  });

  it("applies the prior's override only to a path with a diffusion prior, leaving the graph's settings alone", () => {
    const unclip = graphSettings('text-to-image.json'),
      glide = graphSettings('text-to-image-glide.json');
    const o = { guidance: 5, priorGuidance: 1.5, candidates: 4 };
    const a = applyOverride(unclip, o),
      b = applyOverride(glide, o);
    expect(a.prior).toMatchObject({ guidance: 1.5, candidates: 4, steps: unclip.prior!.steps });
    expect(a.decoder.guidance).toBe(5);
    expect(b.prior).toBeUndefined();
    expect(b.decoder.guidance).toBe(5);
    // the graph's own values are untouched (the next path reads them afresh)
    expect(unclip.prior!.guidance).toBe(2);
    expect(unclip.decoder.guidance).toBe(2);
    expect(applyOverride(unclip, {})).toEqual(unclip);
  });

  it('names the override on the card in the flags that give it back', () => {
    expect(overrideFlags({ guidance: 5, steps: 50 })).toBe(' --graph-guidance 5 --graph-steps 50');
    expect(overrideFlags({ eta: 0.5 })).toBe(' --graph-eta 0.5');
    expect(overrideFlags({})).toBe('');
    expect(overrideFlags({ guidance: 2, priorGuidance: 2, candidates: 4 })).toBe(
      ' --graph-guidance 2 --graph-prior-guidance 2 --graph-candidates 4',
    );
  });
});

describe('npm run trace:count: where the extra copy is decided', () => {
  it('counts the objects in every DDIM step x0 prediction, the last step being the picture itself', async () => {
    const runtime = (await createModelRuntime())!;
    const captions = ['a red circle left of a blue square on a white background', 'a green cross and a pink triangle'];
    const trace = await countTrace(runtime, captions, 7, { steps: 3, guidance: 3, eta: 0 });
    expect(trace.timesteps).toEqual([999, 500, 0]);
    expect(trace.counts.map((row) => row.length)).toEqual([2, 2, 2]);
    // the same graph and seeds without the trajectory: the final picture reads as the trace's last step
    const base = graphSettings('text-to-image-glide.json');
    const doc = pathGraph({ ...base, decoder: { ...base.decoder, steps: 3, guidance: 3, eta: 0 } });
    const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
    const last: number[] = [];
    for (const [i, caption] of captions.entries()) {
      for (const n of doc.nodes) {
        if (n.id === 'prompt') n.params = { text: caption };
        if (n.id === 'seed') n.params = { value: 7 + i };
      }
      engine.load(doc);
      expect((await engine.run({ targets: ['decoder'] })).ok).toBe(true);
      last.push(readPicture((engine.outputsOf('decoder')!.image as Float32Tensor).data, 32, 32).objects.length);
    }
    expect(trace.counts[2]).toEqual(last);
  }, 120_000);

  it('tabulates exactly two / more / fewer per step and when the final extra copies appeared', () => {
    const lines = traceTable({
      timesteps: [999, 500, 0],
      counts: [
        [3, 1, 3],
        [3, 2, 2],
        [3, 2, 2],
      ],
    });
    expect(lines[0]).toBe('3 pictures; at the end 2 exactly two, 1 more, 0 fewer');
    expect(lines.slice(3)).toEqual([
      '| 1 | 999 | 0 | 2 | 1 | 1 of 1 |',
      '| 2 | 500 | 2 | 1 | 0 | 1 of 1 |',
      '| 3 | 0 | 2 | 1 | 0 | 1 of 1 |',
    ]);
  });

  it('refuses bad flags naming them, before any model loads', async () => {
    const trace = (...args: string[]) =>
      run('npx', ['tsx', 'eval/count-trace.ts', ...args], { cwd: root }).then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
    expect(await trace('--two', '0')).toMatch(/trace:count: --two must be an integer in \[1, 1000\], got "0"/);
    expect(await trace('--seed', 'x')).toMatch(/trace:count: --seed must be an integer >= 0, got "x"/);
    expect(await trace('--graph-steps', '0')).toMatch(
      /trace:count: --graph-steps \(diffusion\/decode's steps\): must be between 1 and 1000/,
    );
  });
});

describe('npm run eval:inpaint', () => {
  it('grades each edit once: the asked object in the mask, or what the mask holds instead', async () => {
    const args = ['tsx', 'eval/eval-inpaint.ts', '--method', 'finetuned', '--n', '4', '--steps', '3'];
    const { stdout } = await run('npx', args, { cwd: root });
    const row = stdout.split('\n').find((l) => l.startsWith('| finetuned |'))!;
    expect(row).toMatch(/steps 3, guidance 3/);
    const asked = Number(/\| ([\d.]+)% \| [\d.]+% \| [\d.]+% \| [\d.]+% \|/.exec(row)![1]);
    const m =
      /finetuned: .* nothing (\d+), .* another colour (\d+) \(.* another shape (\d+) \(.*, something else (\d+) \(of/
        .exec(stdout)!
        .slice(1)
        .map(Number);
    expect((asked / 100) * 4 + m.reduce((a, b) => a + b, 0)).toBe(4);
    // the binding misses (the kept object's colour or shape given to the asked one) are among their kind's misses
    const kept =
      /another colour \d+ \(the kept object's colour (\d+)\), .* another shape \d+ \(the kept object's shape (\d+)\)/
        .exec(stdout)!
        .slice(1)
        .map(Number);
    expect(kept[0]).toBeLessThanOrEqual(m[1]!);
    expect(kept[1]).toBeLessThanOrEqual(m[2]!);
  }, 120_000);
});
