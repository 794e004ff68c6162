import { useEffect, useRef } from 'react';
import type { ImagePreview } from '../engine/events';

/** Draws RGBA preview bytes at true pixels, scaled up without smoothing. */
export function PreviewCanvas({
  preview,
  scale = 1,
  title,
}: {
  preview: ImagePreview;
  scale?: number;
  title?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = preview.width;
    c.height = preview.height;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const data = new ImageData(preview.width, preview.height);
    data.data.set(preview.rgba);
    ctx.putImageData(data, 0, 0);
  }, [preview]);
  return (
    <canvas
      ref={ref}
      className="pixelated"
      title={title}
      style={{ width: preview.width * scale, height: preview.height * scale }}
    />
  );
}
