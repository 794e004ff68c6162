import { createRng } from '../../src/tensor/prng';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { gradePicture, readPicture, type PictureGrade, type PictureTruth } from '../../src/world/read';
import { renderScene } from '../../src/world/render';
import { sampleScene, type Scene } from '../../src/world/scene';

/** n fresh ShapesWorld renders from this seed, every third with two objects: [n, 64, 64, 3] in [0, 1]. */
export function sampledPictures(seed: number, n: number): Float32Tensor {
  const rng = createRng(seed);
  const px = 64 * 64 * 3;
  const data = new Float32Array(n * px);
  for (let i = 0; i < n; i++)
    data.set(
      Float32Array.from(renderScene(sampleScene(rng, { objects: i % 3 ? [{}] : [{}, {}] })), (v) => v / 255),
      i * px,
    );
  return float32([n, 64, 64, 3], data);
}

/** The pixel reader's grade of the scene's 64x64 render against a caption's truth. */
export function gradeRender(scene: Scene, truth: PictureTruth): PictureGrade {
  return gradePicture(readPicture(renderScene(scene), 64, 64), truth);
}
