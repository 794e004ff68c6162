import { BACKGROUNDS, COLOURS, POSITIONS, SHAPES, SIZES } from './spec';

/**
 * Single-object captions at several levels of detail: the default bank that
 * embedding/nearest-captions reads embeddings against.
 */
export function captionBank(): string[] {
  const out: string[] = [];
  for (const shape of SHAPES) {
    out.push(`a ${shape}`);
    for (const colour of COLOURS) {
      out.push(`a ${colour} ${shape}`);
      for (const size of SIZES) out.push(`a ${size} ${colour} ${shape}`);
      for (const bg of BACKGROUNDS) out.push(`a ${colour} ${shape} on a ${bg} background`);
      for (const pos of POSITIONS) out.push(`a ${colour} ${shape} at the ${pos}`);
      for (const size of SIZES)
        for (const pos of POSITIONS)
          for (const bg of BACKGROUNDS) {
            out.push(`a ${size} ${colour} ${shape} at the ${pos} on a ${bg} background`);
          }
    }
  }
  return out;
}
