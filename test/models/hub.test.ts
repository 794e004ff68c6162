import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMiniClipFolder } from '../../scripts/published-clip';
import { AccessDenied, checkAccess, hubReference, policyReader, type AccessPolicy } from '../../src/host/access';
import { hubCacheDir, parseHubRef } from '../../src/host/hub';
import { readBytesNode } from '../../src/host/node-services';
import { folderModelName } from '../../src/models/runtime/published-layout';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../../src/models/runtime/runtime-node';
import { FAKE_COMMIT, startFakeHub, type FakeHub } from '../helpers/fake-hub';

// every download here comes from a hub on a loopback port (test/helpers/fake-hub.ts); nothing reaches elsewhere
const MINI = makeMiniClipFolder();
const REPO = 'unclip/mini-clip';
const root = new URL('../..', import.meta.url).pathname;
let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({ [REPO]: MINI });
});
afterAll(() => hub.close());

/** A fresh reader (as a new process has) over a cache folder, its progress lines kept. */
function reader(cacheDir: string, policy: AccessPolicy = { allowHub: true }) {
  const progress: string[] = [];
  const read = policyReader(policy, {
    cacheDir,
    hubUrl: hub.url,
    progress: { write: (t) => progress.push(t), tty: false },
  });
  return { read, progress };
}

/** The manifest a loader naming `src` opens, through a runtime of its own (nothing memoized across readers). */
async function openFolder(src: string, read: (s: string) => Promise<Uint8Array>) {
  const fresh = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
  return (await fresh.external(src, read)).manifest;
}

describe('repo ids: org/name@revision', () => {
  it('parses the repo, the revision (main by default) and the file', () => {
    expect(parseHubRef('openai/clip-vit-base-patch32')).toEqual({
      repo: 'openai/clip-vit-base-patch32',
      revision: 'main',
      file: '',
    });
    expect(parseHubRef('org/name@v1.0/onnx/text_model.onnx')).toEqual({
      repo: 'org/name',
      revision: 'v1.0',
      file: 'onnx/text_model.onnx',
    });
    expect(parseHubRef('../x/y')).toBeUndefined();
    // the models' ids come from the name, not the revision: a graph keeps its model ids across revisions
    expect(folderModelName('org/mini-clip@v2')).toBe('mini-clip');
    expect(parseHubRef('https://example.com/a/b')).toBeUndefined();
  });

  it('a local folder of that path wins over the hub', () => {
    expect(hubReference('test-artifacts/published/mini-clip/config.json', { graphDir: root })).toBeUndefined();
    expect(hubReference(`${REPO}/config.json`, { graphDir: root })).toMatchObject({ repo: REPO, file: 'config.json' });
  });

  it('the cache is $UNCLIP_STUDIO_CACHE, else under $XDG_CACHE_HOME or ~/.cache', () => {
    expect(hubCacheDir({ UNCLIP_STUDIO_CACHE: '/c' })).toBe('/c');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'unclip-studio', 'hub'));
  });

  it("a graph's repo id needs --allow-hub, unless the user typed that repo", () => {
    expect(() => checkAccess(`${REPO}@main/config.json`, {})).toThrow(AccessDenied);
    expect(() => checkAccess(`${REPO}@main/config.json`, {})).toThrow(/no local folder unclip.*--allow-hub/);
    expect(() => checkAccess(`${REPO}@main/config.json`, { allowHub: true })).not.toThrow();
    expect(() => checkAccess(`${REPO}/config.json`, { userValues: [REPO] })).not.toThrow();
    expect(() => checkAccess(`${REPO}@v2/config.json`, { userValues: [REPO] })).toThrow(AccessDenied);
  });
});

describe('a repo id fetched once into the cache, checked by sha256', () => {
  it('downloads with progress, builds the manifest of the local folder, reads the cache the second time', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'hub-cache-'));
    const before = hub.requests.length;
    const first = reader(cacheDir);
    const fromHub = await openFolder(REPO, first.read);
    const local = await openFolder(MINI, readBytesNode);
    expect(fromHub).toEqual({ ...local, models: fromHub.models });
    expect(fromHub.models.map((m) => [m.id, m.sha256, m.bytes])).toEqual(
      local.models.map((m) => [m.id, m.sha256, m.bytes]),
    );
    const asked = hub.requests.slice(before);
    expect(asked).toContain(`GET /api/models/${REPO}/revision/main`);
    expect(asked).toContain(`GET /api/models/${REPO}/tree/${FAKE_COMMIT}`);
    expect(asked).toContain(`GET /${REPO}/resolve/${FAKE_COMMIT}/onnx/text_model.onnx`);
    const progress = first.progress.join('');
    expect(progress).toMatch(/downloading unclip\/mini-clip@main\/onnx\/text_model\.onnx \[#+\] 100% 2\.5\/2\.5 MB/);
    expect(progress).toMatch(/downloading unclip\/mini-clip@main\/config\.json .* 100%/);
    // not in the repo: refused from the listing, never asked for (tokenizer_config.json is optional)
    expect(asked.some((r) => r.includes('tokenizer_config.json'))).toBe(false);
    const snapshot = join(cacheDir, 'models--unclip--mini-clip', 'snapshots', FAKE_COMMIT);
    expect(existsSync(join(snapshot, 'onnx', 'vision_model.onnx'))).toBe(true);

    const count = hub.requests.length;
    const second = reader(cacheDir);
    const again = await openFolder(REPO, second.read);
    expect(again).toEqual(fromHub);
    expect(hub.requests.length).toBe(count);
    expect(second.progress).toEqual([]);
  });

  it('refuses a file whose bytes differ from the sha256 the hub lists, naming it, and keeps nothing', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'hub-cache-'));
    hub.corrupt = 'onnx/text_model.onnx';
    try {
      const { read } = reader(cacheDir);
      await expect(openFolder(REPO, read)).rejects.toThrow(
        new RegExp(
          "unclip/mini-clip@main/onnx/text_model\\.onnx: the download does not match the hub's listing " +
            '\\(sha256 .*\\); it was not kept',
        ),
      );
      const onnxDir = join(cacheDir, 'models--unclip--mini-clip', 'snapshots', FAKE_COMMIT, 'onnx');
      expect(existsSync(onnxDir) ? readdirSync(onnxDir) : []).toEqual([]);
    } finally {
      hub.corrupt = undefined;
    }
  });

  it('an unknown repo is a clear error naming it and the hub', async () => {
    const { read } = reader(mkdtempSync(join(tmpdir(), 'hub-cache-')));
    await expect(openFolder('nobody/nothing@v3', read)).rejects.toThrow(
      new RegExp(`nobody/nothing@v3: no such model repo or revision on ${hub.url.replace(/\./g, '\\.')}`),
    );
  });
});

const run = promisify(execFile);
async function npmRun(script: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run models and npm run graph with a repo id', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-cli-cache-'));
  const env = () => ({ UNCLIP_STUDIO_CACHE: cacheDir, UNCLIP_STUDIO_HUB_URL: hub.url });

  it('inspect downloads once (progress on stderr) and prints the entries the local folder gives', async () => {
    const first = await npmRun('src/cli/models.ts', ['inspect', REPO, '--json'], env());
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/downloading unclip\/mini-clip@main\/onnx\/vision_model\.onnx .*100%/);
    const local = await npmRun('src/cli/models.ts', ['inspect', MINI, '--json'], env());
    const pick = (s: string) =>
      (JSON.parse(s) as { models: Array<Record<string, unknown>> }).models.map((m) => ({ ...m, title: '' }));
    expect(pick(first.stdout)).toEqual(pick(local.stdout));
    const count = hub.requests.length;
    const second = await npmRun(
      'src/cli/models.ts',
      ['tokenize', `${REPO}@main`, '--text', 'a red circle', '--json'],
      env(),
    );
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ ids: expect.any(Array) });
    expect((JSON.parse(second.stdout) as { ids: number[] }).ids.length).toBe(5);
    expect(hub.requests.length).toBe(count);
    expect(second.stderr).not.toMatch(/downloading/);
  });

  it('an unknown repo exits 2 naming it', async () => {
    const r = await npmRun('src/cli/models.ts', ['inspect', 'nobody/nothing'], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: .*nobody\/nothing@main: no such model repo or revision/);
  });

  it("a graph file's repo id runs only with --allow-hub", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-graph-'));
    const file = join(dir, 'graph.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'unclip-studio/graph',
        version: 1,
        nodes: [
          { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip', manifest: REPO } },
          { id: 'image', type: 'world/render-scene', params: { caption: 'a red circle', seed: 3 } },
          { id: 'labels', type: 'text/lines', params: { text: 'red circle\nblue circle' } },
          {
            id: 'classify',
            type: 'rank/zero-shot-classify',
            params: { template: 'a {}' },
            inputs: { model: 'clip.model', image: 'image.image', labels: 'labels.text' },
          },
        ],
      }),
    );
    const denied = await npmRun('src/cli/main.ts', ['run', file, '--json'], env());
    expect(denied.stdout + denied.stderr).toMatch(/a graph's Hugging Face repos .* --allow-hub/);
    const allowed = await npmRun('src/cli/main.ts', ['run', file, '--json', '--allow-hub'], env());
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ ok: true, nodes: { classify: { status: 'done' } } });
  });
});
