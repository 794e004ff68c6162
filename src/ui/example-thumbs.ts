/**
 * The Examples menu's thumbnails: one small PNG per example graph, a picture of what it makes, drawn by
 * `npx tsx scripts/example-thumbs.ts` and committed under public/examples/thumbs/. Each records the sha256 of the
 * graph file that made it, so a test sees an example that changed without its thumbnail being drawn again.
 */

/** The thumbnail of an example ("inpaint", "study/paths"), relative to the app's root (public/ in the repository). */
export function thumbPath(exampleName: string): string {
  return `examples/thumbs/${exampleName}.png`;
}

/** Width and height of a thumbnail, in pixels. */
export const THUMB_SIZE = 64;

/** The PNG iTXt keyword under which a thumbnail records where it came from (a ThumbRecord as JSON). */
export const THUMB_KEYWORD = 'unclip-studio/example-thumb';

/** What a thumbnail says about itself. */
export interface ThumbRecord {
  /** sha256 (hex) of the example's graph file, as committed. */
  graphSha256: string;
  /** The pictures shown, as "node.port[index]", or "placeholder" for a graph that makes no picture. */
  pictures: string[];
}

/** The script that draws the thumbnails again (named by the test that finds one out of date). */
export const THUMB_SCRIPT = 'npx tsx scripts/example-thumbs.ts';
