import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessDenied, checkAccess, policyReader, userValues } from '../../src/host/access';

const dir = mkdtempSync(join(tmpdir(), 'access-'));
const graphDir = join(dir, 'graphs');
const other = join(dir, 'other');
mkdirSync(graphDir);
mkdirSync(other);
writeFileSync(join(graphDir, 'beside.png'), 'x');
writeFileSync(join(other, 'secret.txt'), 'root:x:0:0');
symlinkSync(join(other, 'secret.txt'), join(graphDir, 'link.png'));

describe('the headless access policy', () => {
  const policy = { graphDir, allowPaths: [], allowUrls: false };

  it('allows the bundled models and examples, the graph folder and data: URLs', () => {
    expect(() => checkAccess('models/manifest.json', policy)).not.toThrow();
    expect(() => checkAccess('examples/red-circle.png', policy)).not.toThrow();
    expect(() => checkAccess('beside.png', policy)).not.toThrow();
    expect(() => checkAccess(join(graphDir, 'beside.png'), policy)).not.toThrow();
    expect(() => checkAccess('data:image/png;base64,AAAA', policy)).not.toThrow();
  });

  it('refuses any other file, a way out by .. or by a symlink, and says how to allow it', () => {
    for (const src of [
      '/etc/passwd',
      join(other, 'secret.txt'),
      '../other/secret.txt',
      `file://${join(other, 'secret.txt')}`,
      'link.png',
    ]) {
      expect(() => checkAccess(src, policy), src).toThrow(AccessDenied);
    }
    expect(() => checkAccess('/etc/passwd', policy)).toThrow(
      /outside the folders a graph may read .* --allow-path <folder>/,
    );
    expect(() => checkAccess(join(other, 'secret.txt'), { ...policy, allowPaths: [other] })).not.toThrow();
  });

  it('refuses URLs unless --allow-url, and any scheme but http(s)', () => {
    expect(() => checkAccess('https://example.com/m.json', policy)).toThrow(/--allow-url/);
    expect(() => checkAccess('https://example.com/m.json', { ...policy, allowUrls: true })).not.toThrow();
    expect(() => checkAccess('ftp://example.com/m.json', { ...policy, allowUrls: true })).toThrow(
      /only http and https/,
    );
  });

  it("says a picked folder's reference is the editor's, to be named by its path here", () => {
    for (const p of [policy, { ...policy, allowUrls: true, userValues: ['folder://clip/'] }]) {
      const check = () => checkAccess('folder://clip/onnx/text_model.onnx', p);
      expect(check).toThrow(
        /^folder:\/\/clip\/onnx\/text_model\.onnx: a folder picked in the editor stays in that browser/,
      );
      expect(check).toThrow(
        /name the folder by its path instead \(on a server, one under a serve --allow-path folder\)$/,
      );
    }
  });

  it("allows what the user typed, and a typed path's folder (a manifest names files beside it)", () => {
    const typed = userValues([join(other, 'manifest.json')]);
    expect(() => checkAccess(join(other, 'manifest.json'), { ...policy, userValues: typed })).not.toThrow();
    expect(() => checkAccess(join(other, 'secret.txt'), { ...policy, userValues: typed })).not.toThrow();
    expect(() => checkAccess('/etc/passwd', { ...policy, userValues: typed })).toThrow(AccessDenied);
  });

  it('reads nothing it refuses: no request reaches a server, no file is opened', async () => {
    let hits = 0;
    const server = createServer((_, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const read = policyReader(policy);
    await expect(read(`http://127.0.0.1:${port}/m.json`)).rejects.toThrow(/--allow-url/);
    expect(hits).toBe(0);
    await expect(policyReader({ ...policy, allowUrls: true })(`http://127.0.0.1:${port}/m.json`)).resolves.toHaveLength(
      2,
    );
    expect(hits).toBe(1);
    server.close();
    await expect(read('link.png')).rejects.toThrow(AccessDenied);
    expect(new TextDecoder().decode(await read('beside.png'))).toBe('x');
  });
});
