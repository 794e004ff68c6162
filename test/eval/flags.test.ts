import { describe, expect, it } from 'vitest';
import { checkFlags, int, nodeParamFlag, num } from '../../eval/flags';

describe("the research CLIs' flags", () => {
  it('check numbers by one rule each, naming the tool and the flag, and pass what is right', () => {
    const rules = { count: int(1, 1000), temperature: num(0.01, 10), seed: int(0) };
    expect(() => checkFlags('eval:x', { count: '100', temperature: '0.5', seed: '7' }, rules)).not.toThrow();
    expect(() => checkFlags('eval:x', { count: 'lots' }, rules)).toThrow(
      /eval:x: --count must be an integer in \[1, 1000\], got "lots"/,
    );
    expect(() => checkFlags('eval:x', { count: '2.5' }, rules)).toThrow(/--count must be an integer/);
    expect(() => checkFlags('eval:x', { temperature: '0' }, rules)).toThrow(/--temperature must be a number in/);
    expect(() => checkFlags('eval:x', { seed: '-1' }, rules)).toThrow(/--seed must be an integer >= 0/);
    expect(() => checkFlags('eval:x', { seed: ' ' }, rules)).toThrow(/--seed must be an integer >= 0, got " "/);
    // a hostile value is quoted briefly
    expect(() => checkFlags('eval:x', { count: 'x'.repeat(5000) }, rules)).toThrow(/\(5000 characters\)$/);
  });

  it("check a node param's flag by the node's own schema", () => {
    expect(nodeParamFlag('eval:x', 'steps', '30', 'diffusion/decode', 'steps')).toBe(30);
    expect(nodeParamFlag('eval:x', 'steps', undefined, 'diffusion/decode', 'steps')).toBeUndefined();
    expect(() => nodeParamFlag('eval:x', 'g', '21', 'diffusion/decode', 'guidance')).toThrow(
      /eval:x: --g \(diffusion\/decode's guidance\): must be between 0 and 20, got "21"/,
    );
    expect(() => nodeParamFlag('eval:x', 'g', '1', 'diffusion/decode', 'nope')).toThrow(/does not have/);
  });
});
