import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/**
 * The History panel's store: one IndexedDB database holding one list per kind of history, each an object store
 * with an index by time. Versions of the graph are the first list; the editor's runs (outputs with the graph and
 * params that made them) are the second, filled by the history issue: the object store exists from version 1 of
 * the database, so adding runs needs no upgrade. Each list has its own limit (a count, a size budget or both),
 * applied in the same transaction that adds an entry.
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

/** A run of the editor: the history issue gives it its fields (outputs, graph, params). */
export interface RunEntry extends HistoryEntry {
  summary: string;
}

interface HistorySchema extends DBSchema {
  versions: { key: number; value: VersionEntry; indexes: { at: number } };
  runs: { key: number; value: RunEntry; indexes: { at: number } };
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
const LISTS: HistoryList[] = ['versions', 'runs'];

export class HistoryStore {
  private connection: Promise<IDBPDatabase<HistorySchema>> | null = null;

  constructor(
    private readonly name = HISTORY_DB,
    private readonly limits: Record<HistoryList, ListLimit> = LIST_LIMITS,
  ) {}

  private db(): Promise<IDBPDatabase<HistorySchema>> {
    this.connection ??= openDB<HistorySchema>(this.name, 1, {
      upgrade(db) {
        for (const list of LISTS)
          db.createObjectStore(list, { keyPath: 'id', autoIncrement: true }).createIndex('at', 'at');
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
  }

  close(): void {
    void this.connection?.then((db) => db.close());
    this.connection = null;
  }
}
