/**
 * The engine worker's picked model folders: what the editor handed over (the File objects of a folder input or a
 * drop, or a FileSystemDirectoryHandle), each under its reference name, read a file at a time when a run asks for
 * `folder://<name>/<path>`. Files are never copied up front: a File handed to a worker is a reference to the file on
 * disk, and a handle reads through the file system, so a 1 GB folder costs nothing until a model of it is opened.
 * A model file is held to the browser's limit (model-limit.ts) before its bytes are read, as a download is.
 */
import { browserDownloads } from '../models/runtime/model-cache-browser';
import { isModelFile } from '../models/runtime/model-cache';
import { folderModelName } from '../models/runtime/published-layout';
import {
  detectFolderLayout,
  folderReference,
  missingFolderMessage,
  parseFolderReference,
  referenceName,
  unknownLayoutMessage,
  type FolderLayout,
} from './model-folder-ref';

/** A folder as the editor hands it over: its files by path inside it, or a directory handle. */
export type PickedFolderInput = { name: string; files: Array<{ path: string; file: File }> } | PickedHandleInput;
export interface PickedHandleInput {
  name: string;
  handle: FileSystemDirectoryHandle;
}

/** What a folder became: its reference and layout (and the model id a loader names it by), or why it is none. */
export type PickedFolderInfo =
  | { ok: true; name: string; reference: string; layout: FolderLayout; modelId: string; files: number }
  | { ok: false; name: string; message: string };

/** The methods the browser worker adds to the engine's API for the editor. */
export interface PickedFolderApi {
  /**
   * Keeps a folder under its name (or `as`, the name a graph already uses: a folder picked again). A different
   * folder of a name already taken gets a name of its own ("clip-2"), so a runtime opened from the first is never
   * mistaken for the second.
   */
  addModelFolder(folder: PickedFolderInput, as?: string): Promise<PickedFolderInfo>;
  /** The names of the folders held. */
  modelFolders(): string[];
}

type Held = { files: Map<string, File> } | { handle: FileSystemDirectoryHandle };

/** Deepest a folder's listing goes (onnx/, unet/, scheduler/ are one level down). */
const LIST_DEPTH = 3;

/** The paths of a directory handle's files, a few levels deep (names only: nothing is read). */
async function listHandle(dir: FileSystemDirectoryHandle, prefix = '', depth = 0): Promise<string[]> {
  const out: string[] = [];
  for await (const [name, entry] of (
    dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
  ).entries()) {
    if (entry.kind === 'file') out.push(`${prefix}${name}`);
    else if (depth + 1 < LIST_DEPTH)
      out.push(...(await listHandle(entry as FileSystemDirectoryHandle, `${prefix}${name}/`, depth + 1)));
  }
  return out;
}

/** A file of a directory handle by its path. */
async function fileOfHandle(dir: FileSystemDirectoryHandle, path: string): Promise<File> {
  const parts = path.split('/');
  let at = dir;
  for (const part of parts.slice(0, -1)) at = await at.getDirectoryHandle(part);
  return (await at.getFileHandle(parts[parts.length - 1]!)).getFile();
}

/** What tells two folders of the same name apart: their files' paths, sizes and times. */
function signature(files: Map<string, File>): string {
  return [...files]
    .map(([p, f]) => `${p}\n${f.size}\n${f.lastModified}`)
    .sort()
    .join('\n');
}

async function sameFolder(a: Held, b: Held): Promise<boolean> {
  if ('handle' in a && 'handle' in b) return a.handle.isSameEntry(b.handle);
  if ('files' in a && 'files' in b) return signature(a.files) === signature(b.files);
  return false;
}

/**
 * `admit`: counts a file's size toward the model being loaded before it is read, throwing when the model would be
 * more than the browser can hold (the worker's download tracker; a test's spy).
 */
export function createPickedFolders(
  admit: (src: string, bytes: number) => void = (src, bytes) => browserDownloads.admit(src, bytes),
) {
  const held = new Map<string, Held>();

  const paths = async (h: Held) => ('files' in h ? [...h.files.keys()] : listHandle(h.handle));

  return {
    async addModelFolder(folder: PickedFolderInput, as?: string): Promise<PickedFolderInfo> {
      const h: Held =
        'handle' in folder
          ? { handle: folder.handle }
          : { files: new Map(folder.files.map(({ path, file }) => [path.replace(/^\/+/, ''), file])) };
      const detected = detectFolderLayout(await paths(h));
      const shown = folder.name || 'the folder';
      if (detected.layout === null)
        return { ok: false, name: shown, message: unknownLayoutMessage(shown, detected.missing, detected.looksLike) };
      let name = referenceName(as ?? folder.name);
      if (as === undefined) {
        const base = name;
        for (let i = 2; held.has(name) && !(await sameFolder(held.get(name)!, h)); i++) name = `${base}-${i}`;
      }
      held.set(name, h);
      const reference = folderReference(name);
      const count = 'files' in h ? h.files.size : (await paths(h)).length;
      return { ok: true, name, reference, layout: detected.layout, modelId: folderModelName(reference), files: count };
    },
    modelFolders: () => [...held.keys()],
    /** A picked folder's reference that names no folder held here: why it cannot be read (else null). */
    missing(src: string): Error | null {
      const ref = parseFolderReference(src);
      if (!ref && /^folder:/i.test(src.trim())) return new Error(`${src.slice(0, 120)} is not a picked folder's file`);
      return ref && !held.has(ref.name) ? new Error(missingFolderMessage(ref.name)) : null;
    },
    /** The bytes of `folder://<name>/<path>`. */
    async read(src: string): Promise<Uint8Array> {
      const ref = parseFolderReference(src);
      if (!ref) throw new Error(`${src.slice(0, 120)} is not a picked folder's file`);
      const h = held.get(ref.name);
      if (!h) throw new Error(missingFolderMessage(ref.name));
      let file: File | undefined;
      if ('files' in h) file = h.files.get(ref.path);
      else file = await fileOfHandle(h.handle, ref.path).catch(() => undefined);
      if (!file) throw new Error(`the picked folder "${ref.name}" has no file ${ref.path || '(a folder is no file)'}`);
      // a 3 GB ONNX file on disk is refused by its size, before arrayBuffer() holds it
      if (isModelFile(src)) admit(src, file.size);
      return new Uint8Array(await file.arrayBuffer());
    },
  };
}
