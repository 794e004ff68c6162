import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import {
  HistoryStore,
  LIST_LIMITS,
  type HistoryList,
  type ListLimit,
  type RunEntry,
  type VersionEntry,
} from '../../src/ui/history-db';

let n = 0;
/** A store on a database of its own (fake-indexeddb keeps every database in memory). */
const fresh = (limits: Record<HistoryList, ListLimit> = LIST_LIMITS) => new HistoryStore(`test-history-${++n}`, limits);
const version = (at: number, bytes = 10): VersionEntry => ({
  at,
  bytes,
  cause: 'edit',
  summary: `v${at}`,
  title: 't',
  nodes: 1,
  text: '{}',
});

const run = (at: number, bytes: number, summary = `r${at}`, pinned = false): RunEntry => ({
  at,
  bytes,
  summary,
  changes: [],
  text: '{}',
  title: 't',
  ms: 1,
  backend: 'wasm',
  partial: false,
  pictures: [],
  pinned,
});
const png = (n: number) => new Uint8Array([137, 80, 78, 71, n]);

describe('HistoryStore', () => {
  it('lists entries newest first and gets one by its id', async () => {
    const store = fresh();
    const first = await store.add('versions', version(1));
    await store.add('versions', version(3));
    await store.add('versions', version(2));
    expect((await store.list('versions')).map((v) => v.summary)).toEqual(['v3', 'v2', 'v1']);
    expect((await store.get('versions', first))?.summary).toBe('v1');
    expect((await store.latest('versions'))?.summary).toBe('v3');
  });

  it('keeps the last 50 versions, dropping the oldest as it adds', async () => {
    const store = fresh();
    for (let i = 1; i <= 53; i++) await store.add('versions', version(i));
    const kept = await store.list('versions');
    expect(kept.length).toBe(50);
    expect(kept[0]!.summary).toBe('v53');
    expect(kept.at(-1)!.summary).toBe('v4');
  });

  it('keeps a list within a size budget, but always its newest entry', async () => {
    const budget = fresh({ versions: { bytes: 25 }, runs: {} });
    for (let i = 1; i <= 4; i++) await budget.add('versions', version(i, 10));
    expect((await budget.list('versions')).map((v) => v.summary)).toEqual(['v4', 'v3']);
    await budget.add('versions', version(5, 100));
    expect((await budget.list('versions')).map((v) => v.summary)).toEqual(['v5']);
  });

  it('keeps runs apart from versions: two lists, one database', async () => {
    const store = fresh();
    await store.add('versions', version(1));
    await store.add('runs', run(2, 5, 'ran text-to-image'));
    expect((await store.list('runs')).map((r) => r.summary)).toEqual(['ran text-to-image']);
    expect((await store.list('versions')).map((r) => r.summary)).toEqual(['v1']);
    await store.clear('runs');
    expect(await store.list('runs')).toEqual([]);
    expect((await store.list('versions')).length).toBe(1);
  });

  it('keeps its lists when the database is opened again (a reload)', async () => {
    const name = `test-history-${++n}`;
    const a = new HistoryStore(name);
    await a.add('versions', version(7));
    a.close();
    expect((await new HistoryStore(name).list('versions')).map((v) => v.summary)).toEqual(['v7']);
  });

  it('keeps runs with their full pictures apart, and evicts the oldest unpinned runs past the budget', async () => {
    const store = fresh();
    const first = await store.addRun(run(1, 40, 'r1', true), [png(1)], 100);
    const second = await store.addRun(run(2, 40), [png(2), png(22)], 100);
    expect(second.evicted).toBe(0);
    expect(await store.runPictures(second.id)).toEqual([png(2), png(22)]);
    // 40 + 40 + 40 > 100: the oldest unpinned run (r2) goes with its pictures, the pinned r1 stays
    const third = await store.addRun(run(3, 40), [png(3)], 100);
    expect(third.evicted).toBe(1);
    expect((await store.list('runs')).map((r) => r.summary)).toEqual(['r3', 'r1']);
    expect(await store.runPictures(second.id)).toEqual([]);
    expect(await store.runPictures(first.id)).toEqual([png(1)]);
    // a smaller budget set later evicts at once; unpinned, r1 goes too; the newest run always stays
    await store.pinRun(first.id, false);
    expect(await store.evictRuns(10)).toBe(1);
    expect((await store.list('runs')).map((r) => r.summary)).toEqual(['r3']);
    await store.deleteRun(third.id);
    expect(await store.list('runs')).toEqual([]);
    expect(await store.runPictures(third.id)).toEqual([]);
  });

  it("upgrades a version-1 database (before runs' pictures) keeping its versions", async () => {
    const name = `test-history-${++n}`;
    const old = await openDB(name, 1, {
      upgrade(db) {
        for (const list of ['versions', 'runs'])
          db.createObjectStore(list, { keyPath: 'id', autoIncrement: true }).createIndex('at', 'at');
      },
    });
    await old.add('versions', version(5));
    old.close();
    const store = new HistoryStore(name);
    expect((await store.list('versions')).map((v) => v.summary)).toEqual(['v5']);
    const kept = await store.addRun(run(6, 10), [png(6)], 1e6);
    expect(await store.runPictures(kept.id)).toEqual([png(6)]);
  });
});
