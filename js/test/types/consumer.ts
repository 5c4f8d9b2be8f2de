// Compiled (never run) by `npm run typecheck`: an app's use of the package must type-check against index.d.ts.
import { load, GansuiteError, type Model, type Result } from 'gansuite-onnx';

export async function upscaleFile(pixels: Uint8Array, width: number, height: number): Promise<Result> {
  const model: Model = await load('model.onnx', { threads: 2 });
  const controller = new AbortController();
  try {
    return await model.upscale({ width, height, data: pixels, channels: 4 }, {
      tile: 128,
      onProgress: ({ done, total }) => console.log(`${done}/${total}`),
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof GansuiteError) console.error(error.message);
    throw error;
  } finally {
    await model.release();
  }
}

export const scaleOf = (model: Model): number => model.document.scale ?? 1;
