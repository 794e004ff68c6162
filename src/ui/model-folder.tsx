import type { Remote } from 'comlink';
import { useRef, useState } from 'react';
import type { PickedFolderApi, PickedFolderInfo, PickedFolderInput } from '../host/picked-folders';
import { LOADER_OF_LAYOUT, parseFolderReference, pathInFolder, type FolderLayout } from '../host/model-folder-ref';
import { currentServer, getEngine } from './engine-client';
import { keepFolderHandle, keptFolderHandle, keptFolderHandles } from './folder-handles-db';
import { flatId, scopeDraft } from './scope';
import { freshId, nodeById, selectCatalog, selectScope, useEditor } from './store';
import { runGraph } from './run';
import { clearShift, estimatedSize } from './placement';

/**
 * Model folders in the editor: picked with the Folder… button beside a loader's manifest field, or dropped on the
 * canvas. The folder's files go to the engine worker (File objects or a directory handle: nothing is read until a
 * run needs it) under a reference `folder://<name>/` written into the loader's `manifest` param. Where the browser
 * has a folder picker (showDirectoryPicker, Chromium), the folder's handle is kept in IndexedDB, so a reload finds
 * it again once the browser has asked whether it may still read it. Only the browser's engine can read a picked
 * folder: with a server engine, Folder… and a drop say so (a server reads folders on its own disk, by path).
 */

/** The parts of the File System Access API TypeScript's DOM types leave out (Chromium has them). */
type Permission = 'granted' | 'denied' | 'prompt';
interface PermissionHandle {
  queryPermission?(d: { mode: 'read' }): Promise<Permission>;
  requestPermission?(d: { mode: 'read' }): Promise<Permission>;
}
type DirectoryPicker = (o?: { id?: string; mode?: 'read' }) => Promise<FileSystemDirectoryHandle>;

/** The engine worker's folder methods (the browser worker adds them to the engine's API; a server has none). */
const folderEngine = () => getEngine() as unknown as Remote<PickedFolderApi>;

/** Why no folder can be picked now (the engine is a server's, which reads only its own disk), or null. */
export function folderPickRefusal(): string | null {
  const server = currentServer();
  if (!server) return null;
  return (
    `picked folders need the browser engine: the server at ${server} cannot read this computer's folders. ` +
    'Choose "engine: browser", or type in the manifest field the path of a folder on the server ' +
    '(one under its serve --allow-path)'
  );
}

/** The loader family a node type is for, if it is a loader that opens model folders. */
function layoutOfLoader(type: string): FolderLayout | undefined {
  return (Object.keys(LOADER_OF_LAYOUT) as FolderLayout[]).find((l) => LOADER_OF_LAYOUT[l] === type);
}

const LAYOUT_WORDS: Record<FolderLayout, string> = {
  clip: 'a CLIP folder (optimum / transformers.js layout)',
  diffusers: "a U-Net folder in diffusers' layout",
};

/** Whether the browser may read a kept handle; asks (with a click behind it) when `ask`. */
async function mayRead(handle: FileSystemDirectoryHandle, ask: boolean): Promise<boolean> {
  const h = handle as unknown as PermissionHandle;
  // a browser without the permission calls lets whoever holds the handle read it
  if (!h.queryPermission) return true;
  if ((await h.queryPermission({ mode: 'read' })) === 'granted') return true;
  return ask && !!h.requestPermission && (await h.requestPermission({ mode: 'read' })) === 'granted';
}

/**
 * After a reload: hands the worker every kept folder the browser still lets the page read (no questions asked; a
 * folder that needs one is asked for when its node's Folder… is pressed).
 */
export async function restoreKeptFolders(): Promise<string[]> {
  if (typeof indexedDB === 'undefined' || folderPickRefusal()) return [];
  const restored: string[] = [];
  for (const { name, handle } of await keptFolderHandles().catch(() => [])) {
    if (!(await mayRead(handle, false).catch(() => false))) continue;
    // a folder deleted or moved since is left out (its loader says to pick it again); the others still come
    const r = await folderEngine()
      .addModelFolder({ name, handle }, name)
      .catch(() => null);
    if (r?.ok) restored.push(r.name);
  }
  return restored;
}

/** A folder's files from a webkitdirectory input (each File's webkitRelativePath is `<folder>/<path>`). */
export function folderOfFiles(files: ArrayLike<File>): PickedFolderInput | null {
  const list = Array.from(files);
  if (!list.length) return null;
  const parts = list.map((f) => pathInFolder(f.webkitRelativePath || f.name));
  return { name: parts[0]!.folder || 'folder', files: list.map((file, i) => ({ path: parts[i]!.path, file })) };
}

/** Asks for a folder with the browser's folder picker; null where there is none, or when cancelled. */
async function pickWithPicker(): Promise<{ folder: PickedFolderInput; handle: FileSystemDirectoryHandle } | null> {
  const picker = (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  const handle = await picker!({ id: 'model-folder', mode: 'read' }).catch((e: unknown) => {
    if ((e as Error).name === 'AbortError') return null;
    throw e;
  });
  return handle ? { folder: { name: handle.name, handle }, handle } : null;
}

/** Whether this browser has a folder picker (else a webkitdirectory input is used). */
export function hasFolderPicker(): boolean {
  return typeof (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/**
 * Hands a folder to the worker and binds a loader to it: an existing node (its manifest, and a diffusion loader's
 * model id, set in one undoable edit) or a new loader of the folder's family at `at`. Says what happened.
 */
export async function bindModelFolder(
  folder: PickedFolderInput,
  target: { nodeId: string } | { at: { x: number; y: number } },
  opts: { as?: string; handle?: FileSystemDirectoryHandle } = {},
): Promise<PickedFolderInfo> {
  const store = useEditor.getState();
  const refused = folderPickRefusal();
  if (refused) {
    store.notify(refused, 'error');
    return { ok: false, name: folder.name, message: refused };
  }
  const info = await folderEngine().addModelFolder(folder, opts.as);
  if (!info.ok) {
    store.notify(info.message, 'error');
    return info;
  }
  const view = store.view;
  const loaderType = LOADER_OF_LAYOUT[info.layout];
  const existing = 'nodeId' in target ? nodeById(selectScope(store), target.nodeId) : undefined;
  if (existing && layoutOfLoader(existing.type) !== info.layout) {
    const message = `${info.name} is ${LAYOUT_WORDS[info.layout]}: a ${loaderType} node opens it, not ${existing.type}`;
    store.notify(message, 'error');
    return { ok: false, name: info.name, message };
  }
  if (opts.handle) await keepFolderHandle(info.name, opts.handle).catch(() => undefined);
  // a folder the user picked is the user's own: its files are allowed at once (as a path they type)
  await getEngine().allowReferences([info.reference]);
  // a diffusers folder's model is named after it; a CLIP loader takes a folder's one pair whatever its id says
  const params: Record<string, string> =
    info.layout === 'diffusers' ? { manifest: info.reference, model: info.modelId } : {};
  let id: string;
  if (existing) {
    id = existing.id;
    store.change(`set ${id}.manifest to folder ${info.name}`, (d) => {
      const n = scopeDraft(d, view).nodes.find((x) => x.id === id)!;
      n.params = { ...n.params, manifest: info.reference, ...params };
    });
  } else {
    const want = 'at' in target ? { x: Math.round(target.at.x), y: Math.round(target.at.y) } : { x: 0, y: 0 };
    id = freshId(selectScope(store), loaderType);
    const type = selectCatalog(store).get(loaderType);
    const version = type?.version;
    // at the drop point, or the nearest spot clear of the nodes there (as the palette places a node)
    const shift = clearShift([{ ui: want }], () => estimatedSize(type, params));
    const at = { x: want.x + shift.dx, y: want.y + shift.dy };
    store.change(`add ${id} for folder ${info.name}`, (d) => {
      scopeDraft(d, view).nodes.push({
        id,
        type: loaderType,
        ...(version !== undefined ? { version } : {}),
        params: { manifest: info.reference, ...params },
        ui: at,
      });
    });
    store.select([id]);
  }
  // the same reference picked again (a folder that was missing): what the node showed is stale
  store.resetRunState([flatId(view, id)]);
  store.notify(`${id} reads the folder ${info.name} (${info.files} files, ${LAYOUT_WORDS[info.layout]})`, 'info');
  return info;
}

/**
 * The folder a drop carries, read from the drop event before it returns (a DataTransfer's items are gone after);
 * null when nothing dropped is a folder (files open as graphs, as before). A handle is preferred where the browser
 * gives one (it can be kept across visits); else the folder's entries are read (webkitGetAsEntry).
 */
export function droppedFolder(
  dt: DataTransfer,
): Promise<{ folder: PickedFolderInput; handle?: FileSystemDirectoryHandle } | null> | null {
  const item = Array.from(dt.items ?? []).find((i) => i.kind === 'file' && i.webkitGetAsEntry()?.isDirectory);
  if (!item) return null;
  const entry = item.webkitGetAsEntry() as FileSystemDirectoryEntry;
  const getHandle = (item as { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> }).getAsFileSystemHandle;
  const handle = getHandle ? getHandle.call(item).catch(() => null) : Promise.resolve(null);
  return (async () => {
    const h = await handle;
    if (h && h.kind === 'directory') {
      const dir = h as FileSystemDirectoryHandle;
      return { folder: { name: dir.name, handle: dir }, handle: dir };
    }
    return { folder: { name: entry.name, files: await filesOfEntry(entry) } };
  })();
}

/** Every file under a directory entry, by path inside it (File objects: nothing is read). */
async function filesOfEntry(dir: FileSystemDirectoryEntry, prefix = ''): Promise<Array<{ path: string; file: File }>> {
  const reader = dir.createReader();
  const entries: FileSystemEntry[] = [];
  // readEntries gives a batch at a time (100 in Chromium) until an empty one
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (!batch.length) break;
    entries.push(...batch);
  }
  const out: Array<{ path: string; file: File }> = [];
  for (const e of entries) {
    if (e.isDirectory) out.push(...(await filesOfEntry(e as FileSystemDirectoryEntry, `${prefix}${e.name}/`)));
    else
      out.push({
        path: `${prefix}${e.name}`,
        file: await new Promise<File>((ok, fail) => (e as FileSystemFileEntry).file(ok, fail)),
      });
  }
  return out;
}

/**
 * A folder dropped on the editor: on a loader node it becomes that loader's folder; elsewhere a new loader of the
 * folder's family is added at the drop point. `at` is in the canvas's coordinates.
 */
export async function dropModelFolder(
  dropped: NonNullable<ReturnType<typeof droppedFolder>>,
  onNode: string | undefined,
  at: { x: number; y: number },
): Promise<void> {
  try {
    const got = await dropped;
    if (!got) return;
    const node = onNode ? nodeById(selectScope(useEditor.getState()), onNode) : undefined;
    const target = node && layoutOfLoader(node.type) ? { nodeId: node.id } : { at };
    await bindModelFolder(got.folder, target, got.handle ? { handle: got.handle } : {});
  } catch (e) {
    useEditor.getState().notify(`the folder dropped could not be read: ${(e as Error).message}`, 'error');
  }
}

/**
 * The Folder… button beside a loader's manifest field. When the node names a picked folder that is not here (a
 * graph from another visit or browser): a kept handle of that name is asked for again, else the folder picked
 * takes that name, so the graph's model lock still compares it with the folder it was made with.
 */
export function ModelFolderButton({ nodeId, manifest }: { nodeId: string; manifest: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const type = useEditor((s) => nodeById(selectScope(s), nodeId)?.type);
  const missingName = async (): Promise<string | undefined> => {
    const ref = parseFolderReference(manifest);
    if (!ref || folderPickRefusal()) return undefined;
    return (await folderEngine().modelFolders()).includes(ref.name) ? undefined : ref.name;
  };
  const rebind = async (folder: PickedFolderInput, handle?: FileSystemDirectoryHandle) => {
    const as = await missingName();
    await bindModelFolder(folder, { nodeId }, { ...(as ? { as } : {}), ...(handle ? { handle } : {}) });
  };
  const press = async () => {
    const refused = folderPickRefusal();
    if (refused) return useEditor.getState().notify(refused, 'error');
    setBusy(true);
    try {
      const gone = await missingName();
      const kept = gone ? await keptFolderHandle(gone).catch(() => undefined) : undefined;
      if (gone && kept && (await mayRead(kept, true))) {
        await bindModelFolder({ name: gone, handle: kept }, { nodeId }, { as: gone });
        void runGraph([flatId(useEditor.getState().view, nodeId)]);
        return;
      }
      if (!hasFolderPicker()) {
        input.current?.click();
        return;
      }
      const got = await pickWithPicker();
      if (got) await rebind(got.folder, got.handle);
    } catch (e) {
      useEditor.getState().notify(`no folder picked: ${(e as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  // only the loaders whose families have a folder layout (a DALL·E loader reads manifests only)
  if (!type || !layoutOfLoader(type)) return null;
  return (
    <>
      <button
        className="nodrag small"
        disabled={busy}
        title={
          folderPickRefusal() ??
          "Pick a model folder (a CLIP in the optimum / transformers.js layout, or a U-Net in diffusers' layout): " +
            'its files stay on this computer'
        }
        data-testid="model-folder"
        onClick={(e) => {
          e.preventDefault();
          void press();
        }}
      >
        Folder…
      </button>
      <input
        ref={input}
        type="file"
        hidden
        data-testid="model-folder-input"
        {...{ webkitdirectory: '' }}
        onChange={(e) => {
          const folder = folderOfFiles(e.currentTarget.files ?? []);
          e.currentTarget.value = '';
          if (folder) void rebind(folder);
        }}
      />
    </>
  );
}
