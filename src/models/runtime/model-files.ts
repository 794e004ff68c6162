/**
 * A model's files: its ONNX graph and the external data files its tensors name (onnx-external.ts), each checked by
 * sha256 before a session is made. In Node the host knows a file's sha256 without reading it again (the hash cache,
 * file-facts-node.ts) and gives onnxruntime-node the file's path, so a model of any size is opened by the native
 * runtime itself with its external data beside it (the remembered sha256 stands only there: bytes read are
 * hashed, so the bytes a session takes are the bytes checked); in the browser (and onnxruntime-web in Node) the
 * bytes are read through the model source and handed over as
 * `externalData: [{ path: <location as the model writes it>, data }]`.
 */
import { sha256OfBytes } from '../../tensor/hash';
import type { ModelEntry } from './manifest';
import { externalDataLocations, type OnnxSignature } from './onnx-external';

/** What a host knows of a file without reading it again: its sha256, size, and an ONNX file's external data. */
export interface FileFacts {
  sha256: string;
  bytes: number;
  /** An `.onnx` file's external data locations (relative to its folder); absent where the host did not walk it. */
  externalData?: string[];
  /** An `.onnx` file's inputs and outputs (onnxSignature), where the host walked it. */
  signature?: OnnxSignature;
}

/** What a host may add to reading a file (Node: file-facts-node.ts); a source without them reads and hashes. */
export interface HostFiles {
  /** The file's facts from the host's hash cache (hashing it there once); undefined: read and hash it here. */
  facts?(src: string): Promise<FileFacts | undefined>;
  /** The file's path on this disk, where it has one (onnxruntime-node opens it, and its external data, itself). */
  localPath?(src: string): Promise<string | undefined>;
}

/** One external data file of a model, as a manifest entry lists it. */
export type ExternalDataFile = NonNullable<ModelEntry['externalData']>[number];

interface Source extends HostFiles {
  read(path: string): Promise<Uint8Array>;
  describe(path: string): string;
}

/** Where an external data location is, relative to the manifest: beside the model file. */
export function externalDataPath(modelFile: string, location: string): string {
  return `${modelFile.slice(0, modelFile.lastIndexOf('/') + 1)}${location.replace(/\\/g, '/')}`;
}

const message = (e: unknown) => (e as Error).message;

/** A file's sha256 and size from the host, else from its bytes (read here and returned for a later use). */
async function factsOrBytes(src: Source, path: string): Promise<{ facts: FileFacts; bytes?: Uint8Array }> {
  const known = src.facts ? await src.facts(path) : undefined;
  if (known) return { facts: known };
  const bytes = await src.read(path);
  return { facts: { sha256: await sha256OfBytes(bytes), bytes: bytes.length }, bytes };
}

/** An ONNX file described for a manifest entry: sha256, size, its external data files with theirs. */
export interface OnnxFileDescription {
  sha256: string;
  bytes: number;
  externalData: ExternalDataFile[];
  /** The bytes read to describe them (none where the host knew the facts): the first session takes them. */
  read: Map<string, Uint8Array>;
}

/**
 * Describes a model file and its external data for a manifest entry built from a folder (published-layout.ts,
 * diffusers-layout.ts). `needBytes`: read the graph's bytes even where the host knows its facts (the caller inspects
 * them). Errors name the file: a missing external data file names the model file that needs it.
 */
export async function describeOnnxFile(src: Source, path: string, needBytes = false): Promise<OnnxFileDescription> {
  const read = new Map<string, Uint8Array>();
  const described = await factsOrBytes(src, path);
  let facts = described.facts;
  let bytes = described.bytes;
  if (!bytes && (needBytes || !facts.externalData)) {
    bytes = await src.read(path);
    // the bytes a session may take (`read`) are described by their own hash, not by the host's memory of the file
    facts = { ...facts, sha256: await sha256OfBytes(bytes), bytes: bytes.length };
  }
  if (bytes) read.set(path, bytes);
  let locations: string[];
  try {
    locations = facts.externalData ?? externalDataLocations(bytes!);
  } catch (e) {
    throw new Error(`${src.describe(path)} is not an ONNX model we can read (${message(e)})`);
  }
  const externalData: ExternalDataFile[] = [];
  for (const location of locations) {
    const dataPath = externalDataPath(path, location);
    let data: Awaited<ReturnType<typeof factsOrBytes>>;
    try {
      data = await factsOrBytes(src, dataPath);
    } catch (e) {
      throw new Error(
        `${src.describe(dataPath)} is missing or unreadable: ${src.describe(path)} keeps weights there ` +
          `(external data "${location}") (${message(e)})`,
      );
    }
    if (data.bytes) read.set(dataPath, data.bytes);
    externalData.push({ location, sha256: data.facts.sha256, bytes: data.facts.bytes });
  }
  return { sha256: facts.sha256, bytes: facts.bytes, externalData, read };
}

/** What a session is created from: the graph's bytes with its external data, or (native, on disk) its path. */
export interface SessionFiles {
  model: Uint8Array | string;
  externalData: Array<{ path: string; data: Uint8Array }>;
  /** The graph's and its data files' bytes together. */
  bytes: number;
  readMs: number;
  hashMs: number;
}

/** A problem with a model's files, said by the runtime as `model "<id>": <message>`. */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/**
 * Reads and checks a manifest entry's files for a session. `given`: bytes the user located for the graph file
 * (their sha256 is the entry's). `native`: onnxruntime-node, which opens a local path itself. `read`: how the
 * graph file is read (the runtime passes what the manifest says of it to the source).
 */
export async function sessionFiles(
  src: Source,
  e: ModelEntry,
  opts: { native: boolean; given?: Uint8Array; read?: (path: string) => Promise<Uint8Array> },
): Promise<SessionFiles> {
  const readGraph = opts.read ?? ((p: string) => src.read(p));
  const now = () => performance.now();
  let readMs = 0,
    hashMs = 0;
  const timed = async <T>(into: 'read' | 'hash', work: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await work();
    } finally {
      if (into === 'read') readMs += now() - t;
      else hashMs += now() - t;
    }
  };
  const local =
    opts.native && !opts.given && src.localPath ? await src.localPath(e.file).catch(() => undefined) : undefined;
  let bytes = opts.given;
  let facts: FileFacts | undefined;
  try {
    // the host's facts serve only a file opened by its path (anything read is hashed here)
    if (!bytes && local && src.facts) facts = await timed('hash', () => src.facts!(e.file));
    if (!bytes && !(local && facts?.externalData)) bytes = await timed('read', () => readGraph(e.file));
  } catch (err) {
    throw new ModelFileError(`file ${src.describe(e.file)} is missing or unreadable (${message(err)})`);
  }
  // the host's remembered sha256 only for a file opened by its path: bytes read are hashed as they are
  const digest = opts.given ? e.sha256 : bytes ? await timed('hash', () => sha256OfBytes(bytes!)) : facts!.sha256;
  if (digest !== e.sha256)
    throw new ModelFileError(
      `file ${src.describe(e.file)} is corrupt or changed: sha256 ${digest.slice(0, 12)}… does not match the ` +
        `manifest's ${e.sha256.slice(0, 12)}…`,
    );
  let locations: string[];
  try {
    locations = (bytes ? undefined : facts?.externalData) ?? externalDataLocations(bytes!);
  } catch (err) {
    throw new ModelFileError(`file ${src.describe(e.file)} is not an ONNX model we can read (${message(err)})`);
  }
  const listed = e.externalData ?? [];
  const unlisted = locations.filter((l) => !listed.some((x) => x.location === l));
  if (unlisted.length)
    throw new ModelFileError(
      `file ${src.describe(e.file)} keeps weights in ` +
        `${unlisted.map((l) => src.describe(externalDataPath(e.file, l))).join(', ')}, ` +
        'which its manifest entry does not list (externalData: location, sha256 and bytes; docs/models.md)',
    );
  // onnxruntime-node opens the file where it is, its external data beside it (no copy through JavaScript, no
  // 2 GiB Buffer limit); everything else takes the bytes
  const byPath = !bytes;
  const externalData: SessionFiles['externalData'] = [];
  let total = bytes?.length ?? facts?.bytes ?? e.bytes;
  for (const x of listed) {
    const path = externalDataPath(e.file, x.location);
    let data: Uint8Array | undefined;
    let known: FileFacts | undefined;
    try {
      if (byPath && src.facts) known = await timed('hash', () => src.facts!(path));
      if (!(byPath && known)) data = await timed('read', () => src.read(path));
    } catch (err) {
      throw new ModelFileError(
        `external data file ${src.describe(path)} is missing or unreadable: ${src.describe(e.file)} keeps its ` +
          `weights there (${message(err)})`,
      );
    }
    const sha = data ? await timed('hash', () => sha256OfBytes(data!)) : known!.sha256;
    if (sha !== x.sha256)
      throw new ModelFileError(
        `external data file ${src.describe(path)} is corrupt or changed: sha256 ${sha.slice(0, 12)}… does not ` +
          `match the manifest's ${x.sha256.slice(0, 12)}…`,
      );
    total += data?.length ?? known?.bytes ?? x.bytes;
    if (data) externalData.push({ path: x.location, data });
  }
  return { model: byPath ? local! : bytes!, externalData: byPath ? [] : externalData, bytes: total, readMs, hashMs };
}
