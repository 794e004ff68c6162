/**
 * A model folder the user picked or dropped in the editor, named in a loader's `manifest` param by a reference
 * `folder://<name>/`. The files stay in the browser (the engine worker reads them when a run needs them); the graph
 * keeps only the name, so it validates and saves like any other reference, and a graph opened where that folder was
 * never picked says which folder to pick again. Pure: the editor and the worker share it.
 */

/** The scheme of a picked folder's reference. A URL-like form so files resolve inside it as in a URL's folder. */
export const FOLDER_SCHEME = 'folder://';

/** The longest folder name kept in a reference (a loader's manifest param takes 2000 characters). */
const MAX_NAME = 100;

/** A folder's name as a reference can carry it: letters, digits, `.`, `_` and `-` (anything else becomes `-`). */
export function referenceName(name: string): string {
  const safe = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, MAX_NAME);
  return safe || 'model';
}

/** The reference of a picked folder: `folder://<name>/`. */
export function folderReference(name: string): string {
  return `${FOLDER_SCHEME}${referenceName(name)}/`;
}

/** Whether a string names a picked folder or a file in one. */
export function isFolderReference(src: string): boolean {
  return src.trim().toLowerCase().startsWith(FOLDER_SCHEME);
}

/**
 * The folder's name and the file's path inside it (`""` for the folder itself) of `folder://<name>/<path>`; null
 * for anything else, a name a reference cannot carry, or a path that climbs out of the folder.
 */
export function parseFolderReference(src: string): { name: string; path: string } | null {
  if (!isFolderReference(src)) return null;
  const rest = src.trim().slice(FOLDER_SCHEME.length);
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  if (!name || referenceName(name) !== name) return null;
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/[?#].*$/, '');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || p.includes('\\'))) return null;
  return { name, path: parts.join('/') };
}

/** What to tell a user whose graph names a folder that is not in this browser. */
export function missingFolderMessage(name: string): string {
  return (
    `pick the folder ${name} again: it was picked in another visit or browser and is not here (Folder… beside ` +
    "the loader's manifest field, or drop the folder on the loader)"
  );
}

/** The layouts a picked folder may be in, and the loader node that opens each. */
export const LOADER_OF_LAYOUT = { clip: 'clip/load-model', diffusers: 'diffusion/load-model' } as const;
export type FolderLayout = keyof typeof LOADER_OF_LAYOUT;

/** What an optimum / transformers.js CLIP folder needs (published-layout.ts reads these). */
const CLIP_FILES = ['config.json', 'tokenizer.json', 'preprocessor_config.json'];
const CLIP_ONNX = ['onnx/text_model', 'onnx/vision_model'];
const ONNX_VARIANTS = ['', '_fp16', '_quantized'];
/** What a diffusers folder needs (diffusers-layout.ts reads these; it is told apart by unet/config.json). */
const DIFFUSERS_FILES = ['unet/config.json', 'unet/model.onnx', 'scheduler/scheduler_config.json'];

/**
 * The layout of a folder from the paths of its files (relative to it, `/`-separated): a diffusers U-Net (it has
 * unet/config.json or model_index.json), else a CLIP in the optimum layout; `missing` lists what the folder lacks
 * for the layout it looks most like, so a folder of neither says so by name.
 */
export function detectFolderLayout(
  paths: Iterable<string>,
): { layout: FolderLayout } | { layout: null; missing: string[]; looksLike: FolderLayout } {
  const has = new Set([...paths].map((p) => p.replace(/^\.?\/+/, '')));
  if (has.has('unet/config.json') || has.has('model_index.json')) {
    const missing = DIFFUSERS_FILES.filter((f) => !has.has(f));
    return missing.length ? { layout: null, missing, looksLike: 'diffusers' } : { layout: 'diffusers' };
  }
  const missing = CLIP_FILES.filter((f) => !has.has(f));
  for (const onnx of CLIP_ONNX)
    if (!ONNX_VARIANTS.some((v) => has.has(`${onnx}${v}.onnx`))) missing.push(`${onnx}.onnx (or _fp16 / _quantized)`);
  return missing.length ? { layout: null, missing, looksLike: 'clip' } : { layout: 'clip' };
}

/** Why a folder is not a model folder, naming what it lacks. */
export function unknownLayoutMessage(name: string, missing: string[], looksLike: FolderLayout): string {
  const what =
    looksLike === 'diffusers'
      ? "a diffusion model in diffusers' layout"
      : "a CLIP in the optimum / transformers.js layout (or a U-Net in diffusers' layout: unet/config.json, " +
        'unet/model.onnx, scheduler/scheduler_config.json)';
  return `the folder "${name}" is not ${what}: it lacks ${missing.join(', ')}`;
}

/** The path of a file of a picked folder from its `webkitRelativePath` (`<folder>/<path>`): the folder's part off. */
export function pathInFolder(relativePath: string): { folder: string; path: string } {
  const parts = relativePath.split('/').filter(Boolean);
  return parts.length > 1
    ? { folder: parts[0]!, path: parts.slice(1).join('/') }
    : { folder: '', path: parts.join('/') };
}
