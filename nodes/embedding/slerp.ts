import { slerp } from '../../src/tensor/vector';
import { blendNode } from './shared';

export default blendNode(
  'embedding/slerp',
  'Slerp',
  'Spherical interpolation between two embeddings (unit norm kept)',
  slerp,
);
