import { defineNode } from '../../src/node-api/define';
import { enumeration, number } from '../../src/node-api';
import { borderColour, differsFrom, invertMask } from '../../src/tensor/mask';
import { COLOURS, COLOUR_RGB, type Colour } from '../../src/world/spec';

export default defineNode({
  type: 'mask/from-image',
  version: 1,
  title: 'Mask from image',
  description:
    'Pixels that differ from the background (the median of the border, as ShapesWorld pictures have it), or ' +
    'pixels near a palette colour',
  inputs: { image: 'Image' },
  outputs: { mask: 'Mask' },
  params: {
    mode: enumeration({ options: ['not-background', 'near-colour'], default: 'not-background', label: 'Select' }),
    colour: enumeration({ options: COLOURS, default: 'red', label: 'Colour (near-colour)' }),
    tolerance: number({ min: 0, max: 1, step: 0.01, default: 0.1, label: 'Tolerance (0..1 per channel)' }),
  },
  run: ({ image }, { mode, colour, tolerance }) => {
    if (mode === 'not-background') return { mask: differsFrom(image, (i) => borderColour(image, i), tolerance) };
    const rgb = COLOUR_RGB[colour as Colour].map((v) => v / 255) as [number, number, number];
    return { mask: invertMask(differsFrom(image, () => rgb, tolerance)) };
  },
});
