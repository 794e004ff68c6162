import { noiseRng } from '../../../tensor/noise';
import { float32, type Float32Tensor } from '../../../tensor/tensor';
import { augment, drawAugmentation, type Augmentation } from './augment';
import { CmaEs } from './cmaes';

/** One generation of a search, as progress reports it. */
export interface GenerationInfo {
  generation: number;
  generations: number;
  /** The best view-averaged similarity so far, and this generation's mean. */
  best: number;
  mean: number;
  /** The best picture so far, [size, size, 3]. */
  bestImage: Float32Array;
  improved: boolean;
}

export interface SearchConfig {
  /** The start point of the search (its length is the dimension). */
  mean: ArrayLike<number>;
  sigma: number;
  generations: number;
  population: number;
  /** Random views per candidate per generation; 0 scores each picture as drawn. */
  augmentations: number;
  /** The seed and the node type searching: the views, the samples and the judging views are its noise streams. */
  seed: number;
  node: string;
  /** Side of the pictures `render` returns. */
  size: number;
  /** Pictures of candidates, [count, size, size, 3] in [0, 1], row-major. */
  render(genomes: Float64Array[]): Promise<Float32Array> | Float32Array;
  /** Similarity of each picture [count, size, size, 3] to the caption. */
  score(images: Float32Tensor): Promise<Float32Array>;
  /** Pictures of the best so far to keep, evenly spaced over the generations. */
  frames: number;
  /**
   * Random start points scored before the strategy starts (it starts from the best of them);
   * 0 starts from `mean`. Random search is a strong opening in a landscape this flat.
   */
  warmStart?: number;
  /** Draws a random start point (for the warm start). */
  randomPoint?: () => Float64Array;
  signal?: AbortSignal;
  onGeneration?(info: GenerationInfo): void;
}

export interface SearchResult {
  bestGenome: Float64Array;
  bestImage: Float32Array;
  bestScore: number;
  /** Per generation: the best view-averaged similarity so far, and the population's mean. */
  bestCurve: Float32Array;
  meanCurve: Float32Array;
  /** The best picture so far at evenly spaced generations. */
  frames: Float32Array[];
  frameGenerations: number[];
  /** Pictures scored by CLIP (candidates x views). */
  evaluations: number;
  /** The winner's similarity as drawn (no view) and over the final judging views. */
  cleanScore: number;
}

/** Candidates kept for the final judging, and the views they are judged on (besides the picture as drawn). */
const FINALISTS = 8;
const JUDGING_VIEWS = 8;

/**
 * CLIP-guided search without gradients: CMA-ES proposes a population, each
 * candidate is rendered, seen through the same random views (common random
 * numbers: candidates of a generation are compared on equal terms), and
 * scored by its mean similarity; the strategy moves toward the better half.
 * Deterministic for a seed (the views and the samples come from seeded
 * generators).
 */
export async function clipSearch(cfg: SearchConfig): Promise<SearchResult> {
  const { size, generations, augmentations } = cfg;
  const px = size * size * 3;
  const viewRng = noiseRng({ seed: cfg.seed, node: cfg.node, purpose: 'views' });
  let evaluations = 0;
  const check = (pics: Float32Array, n: number) => {
    if (pics.length !== n * px)
      throw new RangeError(`render returned ${pics.length} values for ${n} pictures of ${size}x${size}`);
  };
  /** Mean similarity of each picture over the views (the picture as drawn when there are none). */
  const scoreViews = async (pics: Float32Array, n: number, views: Augmentation[]): Promise<Float64Array> => {
    let batch = pics;
    if (views.length) {
      batch = new Float32Array(n * views.length * px);
      for (let i = 0; i < n; i++) {
        const src = pics.subarray(i * px, (i + 1) * px);
        views.forEach((v, k) => augment(src, size, v, batch, (i * views.length + k) * px));
      }
    }
    const per = Math.max(1, views.length);
    const sims = await cfg.score(float32([n * per, size, size, 3], batch));
    evaluations += n * per;
    return Float64Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let k = 0; k < per; k++) s += sims[i * per + k]!;
      return s / per;
    });
  };
  const drawViews = () => Array.from({ length: augmentations }, () => drawAugmentation(viewRng, size));

  let start = Float64Array.from(cfg.mean);
  let bestScore = -Infinity;
  let bestGenome: Float64Array = start;
  let bestImage: Float32Array = new Float32Array(px);
  const finalists: { score: number; genome: Float64Array; image: Float32Array }[] = [];
  const consider = (score: number, genome: Float64Array, image: Float32Array): boolean => {
    if (!Number.isFinite(score)) return false;
    if (finalists.length < FINALISTS || score > finalists[finalists.length - 1]!.score) {
      finalists.push({ score, genome: Float64Array.from(genome), image: image.slice() });
      finalists.sort((a, b) => b.score - a.score);
      finalists.length = Math.min(finalists.length, FINALISTS);
    }
    if (score <= bestScore) return false;
    bestScore = score;
    bestGenome = Float64Array.from(genome);
    bestImage = image.slice();
    return true;
  };
  if (cfg.warmStart && cfg.randomPoint) {
    const points = Array.from({ length: cfg.warmStart }, () => cfg.randomPoint!());
    const pics = await cfg.render(points);
    check(pics, points.length);
    const s = await scoreViews(pics, points.length, drawViews());
    points.forEach((g, i) => consider(s[i]!, g, pics.subarray(i * px, (i + 1) * px)));
    if (finalists.length) start = Float64Array.from(finalists[0]!.genome);
  }
  const samplesRng = noiseRng({ seed: cfg.seed, node: cfg.node, purpose: 'samples' });
  const cma = new CmaEs({ mean: start, sigma: cfg.sigma, population: cfg.population, rng: samplesRng });
  const lam = cma.lambda;
  const bestCurve = new Float32Array(generations),
    meanCurve = new Float32Array(generations);
  const frames: Float32Array[] = [];
  const frameGenerations: number[] = [];
  const frameCount = Math.min(cfg.frames, generations);
  const frameAt = new Set(
    Array.from({ length: frameCount }, (_, i) => Math.round(((i + 1) * generations) / frameCount) - 1),
  );
  for (let g = 0; g < generations; g++) {
    cfg.signal?.throwIfAborted();
    const genomes = cma.ask();
    const pics = await cfg.render(genomes);
    check(pics, lam);
    const s = await scoreViews(pics, lam, drawViews());
    let improved = false,
      sum = 0;
    for (let i = 0; i < lam; i++) {
      sum += s[i]!;
      if (consider(s[i]!, genomes[i]!, pics.subarray(i * px, (i + 1) * px))) improved = true;
    }
    cma.tell(Float64Array.from(s, (v) => (Number.isFinite(v) ? -v : Number.NaN)));
    bestCurve[g] = bestScore;
    meanCurve[g] = sum / lam;
    if (frameAt.has(g)) {
      frames.push(bestImage.slice());
      frameGenerations.push(g + 1);
    }
    cfg.onGeneration?.({ generation: g + 1, generations, best: bestScore, mean: sum / lam, bestImage, improved });
  }
  // A score over a few random views is noisy, and the luckiest candidate wins a running maximum.
  // The finalists are judged again, on the picture as drawn and on fixed views, and the best of
  // that judging is the result.
  let cleanScore = bestScore;
  if (finalists.length) {
    const judgeRng = noiseRng({ seed: cfg.seed, node: cfg.node, purpose: 'judging-views' });
    const views =
      augmentations > 0 ? Array.from({ length: JUDGING_VIEWS }, () => drawAugmentation(judgeRng, size)) : [];
    const pics = new Float32Array(finalists.length * px);
    finalists.forEach((f, i) => pics.set(f.image, i * px));
    const clean = await scoreViews(pics, finalists.length, []);
    const viewed = views.length ? await scoreViews(pics, finalists.length, views) : clean;
    let pick = 0;
    for (let i = 1; i < finalists.length; i++) if (clean[i]! + viewed[i]! > clean[pick]! + viewed[pick]!) pick = i;
    const f = finalists[pick]!;
    bestGenome = f.genome;
    bestImage = f.image;
    bestScore = viewed[pick]!;
    cleanScore = clean[pick]!;
  }
  return { bestGenome, bestImage, bestScore, bestCurve, meanCurve, frames, frameGenerations, evaluations, cleanScore };
}
