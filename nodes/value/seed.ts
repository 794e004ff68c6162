import { defineNode } from '../../src/node-api/define';
import { seed } from '../../src/node-api';

export default defineNode({
  type: 'value/seed',
  version: 1,
  title: 'Seed',
  description: 'A random seed shared by several nodes',
  inputs: {},
  outputs: { value: 'Number' },
  params: { value: seed({ default: 0, label: 'Seed' }) },
  run: (_, { value }) => ({ value }),
});
