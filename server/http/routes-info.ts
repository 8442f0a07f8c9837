// object_info, system_stats, embeddings, extensions, models, features: what clients read at start-up.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Router } from 'express';
import type { ServerContext } from './context.js';

/** One compute device as system_stats lists it. */
export interface DeviceInfo {
  name: string;
  type: string;
  index: number;
  vram_total: number;
  vram_free: number;
  torch_vram_total: number;
  torch_vram_free: number;
}

function packageVersion(repoDir: string, name: string): string {
  try {
    const file = path.join(repoDir, 'node_modules', name, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The CPU as a device; the model runtime may add accelerators through `devices`. */
export function cpuDevice(): DeviceInfo {
  const cpus = os.cpus();
  return {
    name: `cpu (${cpus[0]?.model?.trim() ?? 'unknown'}, ${cpus.length} cores)`,
    type: 'cpu',
    index: 0,
    vram_total: os.totalmem(),
    vram_free: os.freemem(),
    torch_vram_total: 0,
    torch_vram_free: 0,
  };
}

export function infoRoutes(ctx: ServerContext, devices: () => DeviceInfo[]): Router {
  const router = Router();
  const { registry, config } = ctx;
  const product = JSON.parse(fs.readFileSync(path.join(config.repoDir, 'package.json'), 'utf8')) as { version: string };
  const ortVersion = packageVersion(config.repoDir, 'onnxruntime-node');

  router.get('/object_info', (_req, res) => {
    res.json(registry.objectInfo());
  });
  router.get('/object_info/:nodeClass', (req, res) => {
    res.json(registry.objectInfoFor(req.params.nodeClass));
  });

  router.get('/system_stats', (_req, res) => {
    res.json({
      system: {
        os: `${process.platform} ${os.release()}`,
        ram_total: os.totalmem(),
        ram_free: os.freemem(),
        comfyui_version: `kontinuous-studio ${product.version}`,
        // No Python or PyTorch here: the honest equivalents are the JavaScript runtime and onnxruntime.
        python_version: `node ${process.versions.node}`,
        pytorch_version: `onnxruntime-node ${ortVersion}`,
        embedded_python: false,
        argv: process.argv.slice(1),
        device_preference: config.device,
      },
      devices: devices(),
    });
  });

  router.get('/embeddings', (_req, res) => {
    res.json([]);
  });
  router.get('/extensions', (_req, res) => {
    res.json([]);
  });

  const modelBundles = (): string[] => {
    const dir = path.join(config.repoDir, 'models');
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'manifest.json')))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  };
  router.get('/models', (_req, res) => {
    res.json(['kontext']);
  });
  router.get('/models/:folder', (req, res) => {
    res.json(req.params.folder === 'kontext' ? modelBundles() : []);
  });

  router.get('/features', (_req, res) => {
    res.json({ supports_preview_metadata: true, max_upload_size: config.limits.uploadBytes });
  });

  return router;
}
