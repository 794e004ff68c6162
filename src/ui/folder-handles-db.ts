import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/**
 * The model folders picked with the browser's folder picker, kept across visits: a FileSystemDirectoryHandle is
 * stored in IndexedDB (handles are structured-cloneable), one per reference name, so a graph naming
 * `folder://<name>/` finds its folder after a reload (after the browser asks once whether it may still read it).
 * Folders picked through a file input or dropped as files cannot be kept: their File objects last one visit.
 */
interface FolderSchema extends DBSchema {
  handles: { key: string; value: { name: string; handle: FileSystemDirectoryHandle; at: number } };
}

let db: Promise<IDBPDatabase<FolderSchema>> | null = null;
function open(): Promise<IDBPDatabase<FolderSchema>> {
  db ??= openDB<FolderSchema>('unclip-studio-model-folders', 1, {
    upgrade(d) {
      d.createObjectStore('handles', { keyPath: 'name' });
    },
  });
  return db;
}

/** Keeps a picked folder's handle under its reference name (a folder picked again replaces it). */
export async function keepFolderHandle(name: string, handle: FileSystemDirectoryHandle): Promise<void> {
  await (await open()).put('handles', { name, handle, at: Date.now() });
}

/** The handle kept for a reference name, if any. */
export async function keptFolderHandle(name: string): Promise<FileSystemDirectoryHandle | undefined> {
  return (await (await open()).get('handles', name))?.handle;
}

/** Every kept handle. */
export async function keptFolderHandles(): Promise<Array<{ name: string; handle: FileSystemDirectoryHandle }>> {
  return (await open()).getAll('handles');
}
