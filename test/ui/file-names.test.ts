import { describe, expect, it } from 'vitest';
import { fileSlug, imageFileName } from '../../src/ui/file-names';

describe('file names', () => {
  it('makes a slug of a title: lower case words joined by "-", the parenthesis left out, no dash at an end', () => {
    expect(fileSlug('Text to image (unCLIP)')).toBe('text-to-image');
    expect(fileSlug('  Zero-shot: café <script> ')).toBe('zero-shot-cafe-script');
    expect(fileSlug('(unCLIP)')).toBe('unclip');
    expect(fileSlug('')).toBe('');
  });

  it('names a saved picture from the graph title and the node, the output only where it is not the first', () => {
    expect(imageFileName('Text to image (unCLIP)', 'decoder', 'image', 'image')).toBe('text-to-image-decoder.png');
    expect(imageFileName('Text to image (unCLIP)', 'decoder', 'trajectory', 'image')).toBe(
      'text-to-image-decoder-trajectory.png',
    );
    expect(imageFileName('Subgraphs', 'low/upsampler', 'image', 'image')).toBe('subgraphs-low-upsampler.png');
    expect(imageFileName(undefined, 'up64', 'image', 'image')).toBe('up64.png');
  });

  it('never doubles a word: the node "image" of "Text to image", a node named like its port or its graph', () => {
    expect(imageFileName('Text to image (unCLIP)', 'image', 'image', 'image')).toBe('text-to-image.png');
    expect(imageFileName(undefined, 'image', 'image', 'image')).toBe('image.png');
    expect(imageFileName('CLIP rank', 'clip_rank', 'best', 'ranked')).toBe('clip-rank-best.png');
    expect(imageFileName('', '', '', undefined)).toBe('image.png');
  });
});
