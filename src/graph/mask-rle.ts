/**
 * A painted mask as a param: run-length text, "rle:<w>x<h>:<runs>", runs in base 36 separated by ".", alternating
 * off/on and starting with an off run (which may be 0): two runs a row of a blob (a 20x20 square: 113 characters); the
 * param's length limit bounds what a shared graph can make the validator and the node decode.
 */
export const MASK_RLE_MAX_LENGTH = 20_000;
export const MASK_MAX_SIDE = 512;

export function encodeMaskRle(bits: Uint8Array, w: number, h: number): string {
  const runs: number[] = [];
  let current = 0,
    run = 0;
  for (let i = 0; i < w * h; i++) {
    const b = bits[i] ? 1 : 0;
    if (b === current) run++;
    else {
      runs.push(run);
      current = b;
      run = 1;
    }
  }
  runs.push(run);
  return `rle:${w}x${h}:${runs.map((r) => r.toString(36)).join('.')}`;
}

/** Decodes, or throws an Error saying what is wrong with the text. */
export function decodeMaskRle(text: string): { w: number; h: number; bits: Uint8Array } {
  const m = /^rle:(\d{1,4})x(\d{1,4}):([0-9a-z.]*)$/.exec(text);
  if (!m) throw new Error('is not a painted mask ("rle:<w>x<h>:<runs>")');
  const w = Number(m[1]),
    h = Number(m[2]);
  if (w < 1 || h < 1 || w > MASK_MAX_SIDE || h > MASK_MAX_SIDE)
    throw new Error(`is ${w}x${h}; a painted mask is 1..${MASK_MAX_SIDE} pixels a side`);
  const bits = new Uint8Array(w * h);
  let at = 0,
    on = 0;
  for (const part of m[3]!.split('.')) {
    const run = parseInt(part, 36);
    if (!/^[0-9a-z]+$/.test(part) || !Number.isFinite(run)) throw new Error(`has a bad run "${part.slice(0, 12)}"`);
    if (at + run > w * h) throw new Error(`has runs past its ${w * h} pixels`);
    if (on) bits.fill(1, at, at + run);
    at += run;
    on ^= 1;
  }
  if (at !== w * h) throw new Error(`has runs for ${at} of its ${w * h} pixels`);
  return { w, h, bits };
}
