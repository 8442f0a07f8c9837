// What Load Image and Load Image (as Mask) share: the picked file in the input area, checked before the run,
// keyed by its content (a file replaced under the same name runs again), and decoded.
import { decodeImage, type DecodedImage } from '../../server/media/codec.js';
import type { NodeContext, NodeServices } from '../../server/engine/node-definition.js';
import { FileAreas } from '../../server/store/file-areas.js';
import '../services.js';

/** The node hooks for an `image` input naming a file in input/: cache key by content, a clear error if missing. */
export const INPUT_IMAGE_HOOKS = {
  fingerprint(inputs: Record<string, unknown>, services: NodeServices): string {
    const { subfolder, filename } = FileAreas.splitName(String(inputs.image));
    return services.files.hashFile('input', subfolder, filename);
  },
  validate(inputs: Record<string, unknown>, services: NodeServices): string | null {
    const { subfolder, filename } = FileAreas.splitName(String(inputs.image));
    try {
      services.files.resolveExisting('input', subfolder, filename);
      return null;
    } catch (error) {
      return `Invalid image file: ${inputs.image} (${(error as Error).message})`;
    }
  },
};

/** Reads and decodes the input file `name` (subfolder/filename). Throws for a missing or refused file. */
export async function readInputImage(ctx: NodeContext, name: string): Promise<DecodedImage> {
  const { subfolder, filename } = FileAreas.splitName(name);
  return decodeImage(ctx.services.files.read('input', subfolder, filename), ctx.services.files.maxPixels);
}
