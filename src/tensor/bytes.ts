/**
 * A size in words, the one way every layer says it (the lock's messages, the browser's size refusals, a loader's
 * download line, the Models panel, the history's storage line): one file is never "150.6 MB" in one place and
 * "151 MB" in another. Decimal units, as downloads and disks give sizes; at the bottom of the house beside quote.ts.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes for people: "812 B", "12 kB", "151 MB", "3.0 MB", "4.3 GB" (two or three figures, a unit of 1000). */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  // 999.6 kB rounds to "1000 kB": said as the next unit instead
  if (u < UNITS.length - 1 && Math.round(v) >= 1000) {
    v /= 1000;
    u++;
  }
  const shown = u === 0 || v >= 9.95 ? Math.round(v).toString() : v.toFixed(1);
  return `${shown} ${UNITS[u]}`;
}
