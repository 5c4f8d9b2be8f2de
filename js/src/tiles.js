// Tile geometry, as gansuite's common/tiling/grid.py: boxes that cover the image, each grown by the context the
// network needs (clipped at the border, so border tiles see the border as the whole image does), and the linear
// ramps that cross-fade overlapping tiles of a network that is not tile-exact (CycleGAN's InstanceNorm).

/** [top, left, bottom, right] boxes covering height x width; a side of 0 spans the image. */
export function tileBoxes(height, width, tileHeight, tileWidth) {
  const th = tileHeight > 0 ? tileHeight : height, tw = tileWidth > 0 ? tileWidth : width;
  const boxes = [];
  for (let top = 0; top < height; top += th) {
    for (let left = 0; left < width; left += tw) boxes.push([top, left, Math.min(top + th, height), Math.min(left + tw, width)]);
  }
  return boxes;
}

/** The box grown by pad on every side, clipped to the image. */
export function paddedBox([top, left, bottom, right], pad, height, width) {
  return [Math.max(top - pad, 0), Math.max(left - pad, 0), Math.min(bottom + pad, height), Math.min(right + pad, width)];
}

/**
 * For a fixed-size graph: the windowHeight x windowWidth window holding the box and its context, moved inside the
 * image instead of clipped (so every window has the graph's size). Where the image is smaller than the window,
 * the window runs past it and the caller pads by replicating the edge.
 */
export function fixedWindow([top, left], pad, height, width, windowHeight, windowWidth) {
  const y0 = Math.max(Math.min(top - pad, height - windowHeight), 0);
  const x0 = Math.max(Math.min(left - pad, width - windowWidth), 0);
  return [y0, x0, y0 + windowHeight, x0 + windowWidth];
}

/** Tile starts along one side: every stride, the last flush with the end. */
export function blendStarts(length, tile, stride) {
  if (length <= tile) return [0];
  const starts = new Set();
  for (let start = 0; start < length - tile; start += stride) starts.add(start);
  starts.add(length - tile);
  return [...starts].sort((a, b) => a - b);
}

/** The cross-fade weights along one side of a tile (float32, as numpy computes them). */
export function feather(length, overlap, atStart, atEnd) {
  const ramp = new Float32Array(length).fill(1);
  if (overlap > 0) {
    const rise = Float32Array.from({ length: overlap }, (_, i) => (i + 0.5) / overlap);
    const span = Math.min(overlap, length);
    if (!atStart) for (let i = 0; i < span; i++) ramp[i] = Math.min(ramp[i], rise[i]);
    if (!atEnd) for (let i = 0; i < span; i++) ramp[length - span + i] = Math.min(ramp[length - span + i], rise[span - 1 - i]);
  }
  return ramp;
}
