// ComfyUI's binary preview frames: type 1 is [u32 1][u32 format (1 JPEG, 2 PNG)][bytes]; type 4 (for clients
// that declared supports_preview_metadata) is [u32 4][u32 metadata length][metadata JSON][bytes].
import type { PreviewEvent } from '../engine/events.js';

/** The metadata JSON of a type 4 frame (and of our socket.io `preview` event). */
export function previewMetadata(event: PreviewEvent): Record<string, string> {
  const { prompt_id, node_id, display_node_id, image } = event.data;
  return {
    node_id,
    prompt_id,
    display_node_id,
    parent_node_id: node_id,
    real_node_id: node_id,
    image_type: image.format === 'png' ? 'image/png' : 'image/jpeg',
  };
}

/** A type 1 frame. */
export function previewFrameType1(event: PreviewEvent): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(1, 0);
  head.writeUInt32BE(event.data.image.format === 'png' ? 2 : 1, 4);
  return Buffer.concat([head, event.data.image.data]);
}

/** A type 4 frame with metadata. */
export function previewFrameType4(event: PreviewEvent): Buffer {
  const meta = Buffer.from(JSON.stringify(previewMetadata(event)), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(4, 0);
  head.writeUInt32BE(meta.length, 4);
  return Buffer.concat([head, meta, event.data.image.data]);
}
