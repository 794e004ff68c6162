import { PORT_TYPES, isPortType } from '../graph/ports';

export const FAMILY_COLORS: Record<string, string> = {
  text: '#b8862f',
  value: '#6b7b8c',
  clip: '#7b5cc4',
  embedding: '#b04f9a',
  diffusion: '#2f8f83',
  image: '#2f7fb8',
  rank: '#c0652a',
  io: '#55708a',
  world: '#4f8f3a',
  guide: '#8a6d1f',
  dalle: '#a3493c',
  prior: '#3a7f9e',
  mask: '#6f8596',
};

export function familyColor(family: string): string {
  return FAMILY_COLORS[family] ?? '#667';
}

export function portColor(type: string): string {
  return isPortType(type) ? PORT_TYPES[type].color : '#999';
}
