import { describe, expect, it } from 'vitest';
import { externalReferences, isBundledReference } from '../../src/graph/references';
import { createRegistry } from '../../nodes/index';

describe("a graph's references", () => {
  it("tells the app's own files and data: URLs from everything else", () => {
    for (const v of ['', 'examples/red-circle.png', 'models/manifest.json', 'data:image/png;base64,AAAA'])
      expect(isBundledReference(v), v).toBe(true);
    for (const v of [
      '/etc/passwd',
      'https://example.com/a.png',
      '//evil.example/a.png',
      'file:///etc/passwd',
      '../secret.json',
      'examples/../../x',
      'examples/%2e%2e/x',
      'C:\\\\x',
      '\\\\server\\share',
      'javascript:alert(1)',
    ])
      expect(isBundledReference(v), v).toBe(false);
  });

  it('lists the params the node types mark as references, and only external values', () => {
    const registry = createRegistry();
    const isRef = (type: string, param: string) =>
      (registry.get(type)?.params[param] as { reference?: boolean } | undefined)?.reference === true;
    const doc = {
      format: 'unclip-studio/graph',
      version: 1,
      nodes: [
        { id: 'a', type: 'io/load-image', params: { src: 'https://x.example/p.png' } },
        { id: 'b', type: 'io/load-image', params: { src: 'examples/red-circle.png' } },
        { id: 'c', type: 'clip/load-model', params: { model: 'mini-clip', manifest: '/home/me/models/manifest.json' } },
        { id: 'd', type: 'text/prompt', params: { text: 'https://not-a-reference.example' } },
      ],
    } as never;
    expect(externalReferences(doc, isRef)).toEqual([
      { nodeId: 'a', param: 'src', value: 'https://x.example/p.png' },
      { nodeId: 'c', param: 'manifest', value: '/home/me/models/manifest.json' },
    ]);
  });
});
