import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { planEviction } from './run-record';

/**
 * The History panel's store: one IndexedDB database holding one list per kind of history, each an object store
 * with an index by time. Versions of the graph are the first list; the editor's runs (their graph, what changed,
 * thumbnails) are the second, and the runs' full pictures sit apart in `run-pictures` (added by version 2 of the
 * database; a version-1 database keeps its versions through the upgrade), so listing runs never reads their
 * pictures. Each list has its own limit (a count, a size budget or both), applied in the same transaction that adds
 * an entry; runs are kept under a size budget the user sets, oldest first out, pinned runs never.
 */

/** What every entry of a list has: when it was made and its size in bytes (for a size budget). */
export interface HistoryEntry {
  /** Given by the store when added. */
  id?: number;
  at: number;
  bytes: number;
}

/** Why a version was kept. */
export type VersionCause = 'edit' | 'open' | 'new' | 'save' | 'restore';

/** A saved state of the graph. */
export interface VersionEntry extends HistoryEntry {
  cause: VersionCause;
  /** One line: what changed from the version before (or what was opened). */
  summary: string;
  title: string;
  nodes: number;
  /** The graph as saved (serializeGraph). */
  text: string;
}

/** A picture a run made, as the Runs list shows it (its full PNG is in `run-pictures`). */
export interface RunPictureMeta {
  node: string;
  port: string;
  index: number;
  width: number;
  height: number;
  /** A small PNG (at most THUMB_SIDE pixels a side). */
  thumb: Uint8Array;
}

/** A run of the editor: the graph that ran, what changed from the run before, its pictures' thumbnails. */
export interface RunEntry extends HistoryEntry {
  /** One line: what changed from the run before. */
  summary: string;
  /** Every change from the run before, one line each (the summary cuts them). */
  changes: string[];
  /** The graph that ran (serializeGraph). */
  text: string;
  title: string;
  ms: number;
  /** Where the models ran ("wasm", "webgpu", "cuda"...), as the pictures' provenance says; '' when unknown. */
  backend: string;
  /** Some nodes failed or the run was cancelled: the pictures are those it finished. */
  partial: boolean;
  pictures: RunPictureMeta[];
  /** Never evicted by the size budget. */
  pinned?: boolean;
}

/** One full picture of a run: a PNG carrying the graph that made it. */
export interface RunPicture {
  run: number;
  index: number;
  png: Uint8Array;
}

interface HistorySchema extends DBSchema {
  versions: { key: number; value: VersionEntry; indexes: { at: number } };
  runs: { key: number; value: RunEntry; indexes: { at: number } };
  'run-pictures': { key: [number, number]; value: RunPicture };
}

/** What keeping a run did: its id and how many of the oldest runs the budget evicted. */
export interface RunKept {
  id: number;
  evicted: number;
}

export type HistoryList = 'versions' | 'runs';
type EntryOf<L extends HistoryList> = HistorySchema[L]['value'];

/** How many entries, and how many bytes of them, a list keeps (the newest entry is always kept). */
export interface ListLimit {
  count?: number;
  bytes?: number;
}

/** Versions: the last 50. Runs: the history issue sets their size budget. */
export const LIST_LIMITS: Record<HistoryList, ListLimit> = { versions: { count: 50 }, runs: {} };

export const HISTORY_DB = 'unclip-studio-history';
type RunsTx = IDBPTransaction<HistorySchema, Array<'runs' | 'run-pictures'>, 'readwrite'>;
const LISTS: HistoryList[] = ['versions', 'runs'];

export class HistoryStore {
  private connection: Promise<IDBPDatabase<HistorySchema>> | null = null;

  constructor(
    private readonly name = HISTORY_DB,
    private readonly limits: Record<HistoryList, ListLimit> = LIST_LIMITS,
  ) {}

  private db(): Promise<IDBPDatabase<HistorySchema>> {
    this.connection ??= openDB<HistorySchema>(this.name, 2, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1)
          for (const list of LISTS)
            db.createObjectStore(list, { keyPath: 'id', autoIncrement: true }).createIndex('at', 'at');
        if (oldVersion < 2) db.createObjectStore('run-pictures', { keyPath: ['run', 'index'] });
      },
      // another tab opens a newer version of the database: let it, and reopen on the next call
      blocking: () => this.close(),
      terminated: () => {
        this.connection = null;
      },
    });
    return this.connection;
  }

  /** Adds an entry and drops the oldest past the list's limit, in one transaction. Returns its id. */
  async add<L extends HistoryList>(list: L, entry: EntryOf<L>): Promise<number> {
    const tx = (await this.db()).transaction(list, 'readwrite');
    const { id: _, ...fresh } = entry;
    const id = await tx.store.add(fresh as EntryOf<L>);
    const { count = Infinity, bytes = Infinity } = this.limits[list];
    let kept = 0,
      size = 0;
    for (let c = await tx.store.index('at').openCursor(null, 'prev'); c; c = await c.continue()) {
      kept++;
      size += c.value.bytes;
      if (kept > 1 && (kept > count || size > bytes)) await c.delete();
    }
    await tx.done;
    return id;
  }

  /** Every entry of a list, newest first. */
  async list<L extends HistoryList>(list: L): Promise<Array<EntryOf<L>>> {
    const all = await (await this.db()).getAllFromIndex(list, 'at');
    return all.reverse() as Array<EntryOf<L>>;
  }

  /** The newest entry of a list. */
  async latest<L extends HistoryList>(list: L): Promise<EntryOf<L> | undefined> {
    const c = await (await this.db()).transaction(list).store.index('at').openCursor(null, 'prev');
    return c?.value as EntryOf<L> | undefined;
  }

  async get<L extends HistoryList>(list: L, id: number): Promise<EntryOf<L> | undefined> {
    return (await (await this.db()).get(list, id)) as EntryOf<L> | undefined;
  }

  async clear(list: HistoryList): Promise<void> {
    await (await this.db()).clear(list);
    if (list === 'runs') await (await this.db()).clear('run-pictures');
  }

  /**
   * Keeps a run and its full pictures, then evicts the oldest unpinned runs past `budget` bytes (the newest run is
   * always kept), all in one transaction.
   */
  async addRun(entry: RunEntry, pngs: Uint8Array[], budget: number): Promise<RunKept> {
    const tx = (await this.db()).transaction(['runs', 'run-pictures'], 'readwrite');
    const { id: _, ...fresh } = entry;
    const id = await tx.objectStore('runs').add(fresh as RunEntry);
    await Promise.all(pngs.map((png, index) => tx.objectStore('run-pictures').put({ run: id, index, png })));
    const evicted = await this.evictIn(tx, budget);
    await tx.done;
    return { id, evicted };
  }

  /** Evicts the oldest unpinned runs past a (new) budget. Returns how many went. */
  async evictRuns(budget: number): Promise<number> {
    const tx = (await this.db()).transaction(['runs', 'run-pictures'], 'readwrite');
    const evicted = await this.evictIn(tx, budget);
    await tx.done;
    return evicted;
  }

  private async evictIn(tx: RunsTx, budget: number): Promise<number> {
    const runs = tx.objectStore('runs');
    const all = (await runs.index('at').getAll()).reverse();
    const drop = planEviction(all as Array<RunEntry & { id: number }>, budget);
    for (const id of drop) await this.deleteRunIn(tx, id);
    return drop.length;
  }

  private async deleteRunIn(tx: RunsTx, id: number): Promise<void> {
    await tx.objectStore('runs').delete(id);
    await tx.objectStore('run-pictures').delete(IDBKeyRange.bound([id, 0], [id, Infinity]));
  }

  async deleteRun(id: number): Promise<void> {
    const tx = (await this.db()).transaction(['runs', 'run-pictures'], 'readwrite');
    await this.deleteRunIn(tx, id);
    await tx.done;
  }

  /** The full pictures of a run (PNGs with their graph), in order. */
  async runPictures(id: number): Promise<Uint8Array[]> {
    const all = await (await this.db()).getAll('run-pictures', IDBKeyRange.bound([id, 0], [id, Infinity]));
    return all.sort((a, b) => a.index - b.index).map((p) => p.png);
  }

  /** Pins a run (never evicted) or unpins it. */
  async pinRun(id: number, pinned: boolean): Promise<void> {
    const tx = (await this.db()).transaction('runs', 'readwrite');
    const run = await tx.store.get(id);
    if (run) await tx.store.put({ ...run, pinned });
    await tx.done;
  }

  close(): void {
    void this.connection?.then((db) => db.close());
    this.connection = null;
  }
}
