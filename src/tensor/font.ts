/**
 * A 3x5 pixel font (letters drawn as capitals, digits, the punctuation of params and paths) for
 * labelling contact sheets without a font file or a canvas. Each glyph: 5 rows of 3 pixels.
 */
const GLYPHS: Record<string, string> = {
  a: '010101111101101',
  b: '110101110101110',
  c: '011100100100011',
  d: '110101101101110',
  e: '111100110100111',
  f: '111100110100100',
  g: '011100101101011',
  h: '101101111101101',
  i: '111010010010111',
  j: '001001001101010',
  k: '101101110101101',
  l: '100100100100111',
  m: '101111111101101',
  n: '110101101101101',
  o: '010101101101010',
  p: '110101110100100',
  q: '010101101110011',
  r: '110101110101101',
  s: '011100010001110',
  t: '111010010010010',
  u: '101101101101111',
  v: '101101101101010',
  w: '101101111111101',
  x: '101101010101101',
  y: '101101010010010',
  z: '111001010100111',
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '110001010100111',
  '3': '110001010001110',
  '4': '101101111001001',
  '5': '111100110001110',
  '6': '011100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001110',
  '.': '000000000000010',
  ',': '000000000010100',
  '=': '000111000111000',
  ':': '000010000010000',
  '-': '000000111000000',
  _: '000000000000111',
  '/': '001001010100100',
  '(': '010100100100010',
  ')': '010001001001010',
  '"': '101101000000000',
  "'": '010010000000000',
  '+': '000010111010000',
  '#': '101111101111101',
  '?': '110001010000010',
  ' ': '000000000000000',
};

/** Draws `text` into an RGB image at (x, y), each font pixel `scale` px; returns the x after the text. */
export function drawText(
  rgb: Uint8Array,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  colour: readonly [number, number, number],
  scale = 1,
): number {
  let cx = x;
  for (const ch of text.toLowerCase()) {
    const glyph = GLYPHS[ch] ?? GLYPHS['?']!;
    for (let r = 0; r < 5; r++)
      for (let c = 0; c < 3; c++) {
        if (glyph[r * 3 + c] !== '1') continue;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++) {
            const px = cx + c * scale + dx,
              py = y + r * scale + dy;
            if (px < 0 || py < 0 || px >= width || py >= height) continue;
            rgb.set(colour, (py * width + px) * 3);
          }
      }
    cx += 4 * scale;
  }
  return cx;
}
