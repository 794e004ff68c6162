/**
 * Model folders with a server engine (review 8): the server's API has no addModelFolder (a server reads its own
 * disk), so Folder… and a drop say that picked folders need the browser engine instead of "... is not a function".
 */
import { describe, expect, it, vi } from 'vitest';

const server = { url: 'http://127.0.0.1:8188' as string | null };
const calls: string[] = [];
// the server engine's API as the editor holds it: no folder methods
const serverApi = { allowReferences: async () => void calls.push('allowReferences') };
vi.mock('../../src/ui/engine-client', () => ({
  currentServer: () => server.url,
  getEngine: () => serverApi,
}));

const { bindModelFolder, folderPickRefusal, restoreKeptFolders } = await import('../../src/ui/model-folder');
const { useEditor } = await import('../../src/ui/store');

const folder = { name: 'clip', files: [{ path: 'config.json', file: new File(['{}'], 'config.json') }] };

describe('picked folders with a server engine', () => {
  it('a folder picked or dropped is refused: the browser engine reads them, or a server path', async () => {
    const info = await bindModelFolder(folder, { at: { x: 0, y: 0 } });
    expect(info.ok).toBe(false);
    const notice = useEditor.getState().notice!;
    expect(notice.kind).toBe('error');
    expect(notice.text).toMatch(/^picked folders need the browser engine: the server at http:\/\/127\.0\.0\.1:8188/);
    expect(notice.text).toMatch(/serve --allow-path/);
    expect(notice.text).not.toMatch(/not a function/);
    expect(calls).toEqual([]);
    expect(useEditor.getState().doc.nodes).toEqual([]);
    // nothing kept is handed to a server after a reload
    expect(await restoreKeptFolders()).toEqual([]);
  });

  it('with the browser engine nothing is refused', () => {
    server.url = null;
    expect(folderPickRefusal()).toBeNull();
  });
});
