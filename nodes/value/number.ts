import { defineNode } from '../../src/node-api/define';
import { number } from '../../src/node-api';

export default defineNode({
  type: 'value/number',
  version: 1,
  title: 'Number',
  description: 'A constant number',
  inputs: {},
  outputs: { value: 'Number' },
  params: { value: number({ min: -1e6, max: 1e6, step: 0.01, default: 0, label: 'Value' }) },
  run: (_, { value }) => ({ value }),
});
