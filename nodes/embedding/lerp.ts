import { lerp } from '../../src/tensor/vector';
import { blendNode } from './shared';

export default blendNode('embedding/lerp', 'Lerp', 'Linear interpolation (1 - t) a + t b', lerp);
