import { defineNode } from '../../src/node-api/define';
import { enumeration } from '../../src/node-api';
import { rectMask } from '../../src/tensor/mask';
import { CANVAS, HALF_EXTENT, POSITION_JITTER, POSITIONS, SIZE_JITTER, cellCentre } from '../../src/world/spec';

/** Half the side of the square any object placed in a cell can reach: the largest half-extent plus the jitters. */
export const CELL_REACH = HALF_EXTENT.large + SIZE_JITTER + POSITION_JITTER;

export default defineNode({
  type: 'mask/cell',
  version: 1,
  title: 'Grid-cell mask',
  description:
    'A ShapesWorld grid cell by name: the square any object placed there can cover (the cell centre +- ' +
    `${CELL_REACH} px, clipped to the 64x64 picture)`,
  inputs: {},
  outputs: { mask: 'Mask' },
  params: { cell: enumeration({ options: POSITIONS, default: 'center', label: 'Cell' }) },
  run: (_, { cell }) => {
    const c = cellCentre(cell as (typeof POSITIONS)[number]);
    return { mask: rectMask(CANVAS, CANVAS, c.x - CELL_REACH, c.y - CELL_REACH, 2 * CELL_REACH, 2 * CELL_REACH) };
  },
});
