import { approxBytes } from '../node-api/values';

interface Entry {
  value: Record<string, unknown>;
  bytes: number;
  pins: number;
}

/**
 * Memo cache of node outputs by Merkle key, evicted least-recently-used under
 * a byte budget. Pinned entries (in use by a run, or shown by the editor)
 * are never evicted; the budget may be exceeded while they are pinned.
 */
export class MemoCache {
  private entries = new Map<string, Entry>();
  private total = 0;

  constructor(private budgetBytes = 512 * 1024 * 1024) {}

  get size(): number {
    return this.entries.size;
  }
  get bytes(): number {
    return this.total;
  }
  get budget(): number {
    return this.budgetBytes;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The entry's value, marking it most recently used. */
  get(key: string): Record<string, unknown> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Reads without touching the LRU order. */
  peek(key: string): Record<string, unknown> | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: Record<string, unknown>, pinned = false): void {
    const old = this.entries.get(key);
    if (old) {
      this.total -= old.bytes;
      this.entries.delete(key);
    }
    const bytes = approxBytes(value);
    this.entries.set(key, { value, bytes, pins: (old?.pins ?? 0) + (pinned ? 1 : 0) });
    this.total += bytes;
    this.evict();
  }

  pin(key: string): void {
    const e = this.entries.get(key);
    if (e) e.pins++;
  }

  unpin(key: string): void {
    const e = this.entries.get(key);
    if (e && e.pins > 0) e.pins--;
    this.evict();
  }

  setBudget(bytes: number): void {
    this.budgetBytes = bytes;
    this.evict();
  }

  clear(): void {
    for (const [k, e] of this.entries)
      if (e.pins === 0) {
        this.entries.delete(k);
        this.total -= e.bytes;
      }
  }

  private evict(): void {
    if (this.total <= this.budgetBytes) return;
    for (const [key, e] of this.entries) {
      if (this.total <= this.budgetBytes) break;
      if (e.pins > 0) continue;
      this.entries.delete(key);
      this.total -= e.bytes;
    }
  }
}
