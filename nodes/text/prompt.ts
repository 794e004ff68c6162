import { defineNode } from '../../src/node-api/define';
import { string } from '../../src/node-api';

export default defineNode({
  type: 'text/prompt',
  version: 1,
  title: 'Prompt',
  description: 'A caption or prompt, as one text',
  inputs: {},
  outputs: { text: 'Text' },
  params: { text: string({ default: 'a large red circle', multiline: true, maxLength: 2000, label: 'Text' }) },
  run: (_, { text }) => ({ text: [text.trim()] }),
});
