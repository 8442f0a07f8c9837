// POST/GET /prompt, /queue, /interrupt and /free: submission with validation, the queue's views and controls.
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { ComfyError, NodeErrors, Prompt } from '../engine/api.js';
import { validatePrompt } from '../engine/validate.js';
import { toTuple } from '../store/queue-store.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { bodyObject } from './json-body.js';

const PROMPT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

function promptError(res: Response, type: string, message: string, details = '', node_errors: Record<string, NodeErrors> = {}): void {
  const error: ComfyError = { type, message, details, extra_info: {} };
  res.status(400).json({ error, node_errors });
}

/** Server-wide caps on sizes a node may be asked for, whatever its own declared max says. */
function limitErrors(prompt: Prompt, maxSide: number, maxBatch: number): Record<string, NodeErrors> {
  const found: Record<string, NodeErrors> = {};
  for (const [id, node] of Object.entries(prompt)) {
    if (!node || typeof node !== 'object' || !node.inputs || typeof node.inputs !== 'object') continue;
    for (const [name, value] of Object.entries(node.inputs)) {
      const cap = name === 'batch_size' ? maxBatch : name === 'width' || name === 'height' ? maxSide : null;
      if (cap === null || typeof value !== 'number' || value <= cap) continue;
      const entry = (found[id] ??= { errors: [], dependent_outputs: [], class_type: String(node.class_type) });
      entry.errors.push({
        type: 'value_bigger_than_max',
        message: `Value bigger than max of ${cap}`,
        details: `${name}: ${value} is over this server's limit of ${cap}`,
        extra_info: { input_name: name, received_value: value },
      });
    }
  }
  return found;
}

export function promptRoutes(ctx: ServerContext): Router {
  const router = Router();
  const { store, worker, bus, config } = ctx;

  router.get('/prompt', (_req, res) => {
    res.json({ exec_info: { queue_remaining: store.remaining } });
  });

  router.post('/prompt', async (req: Request, res: Response) => {
    const body = bodyObject(req);
    const prompt = body.prompt;
    if (prompt !== undefined && prompt !== null && typeof prompt === 'object' && !Array.isArray(prompt)) {
      const count = Object.keys(prompt).length;
      if (count > config.limits.maxNodes) {
        return promptError(res, 'prompt_too_large', `The prompt has ${count} nodes, more than this server's limit of ${config.limits.maxNodes}.`);
      }
      const limits = limitErrors(prompt as Prompt, config.limits.maxSide, config.limits.maxBatch);
      if (Object.keys(limits).length > 0) {
        return promptError(res, 'prompt_outputs_failed_validation', 'Prompt outputs failed validation', '', limits);
      }
    }
    const clientId = body.client_id;
    if (clientId !== undefined && clientId !== null && (typeof clientId !== 'string' || clientId.length > 200)) {
      throw new HttpError(400, 'invalid_client_id', 'client_id must be a string of at most 200 characters');
    }
    const extra = body.extra_data ?? {};
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new HttpError(400, 'invalid_extra_data', 'extra_data must be an object');
    const number = body.number;
    if (number !== undefined && (typeof number !== 'number' || !Number.isFinite(number))) {
      throw new HttpError(400, 'invalid_number', 'number must be a finite number (the priority; lower runs first)');
    }
    const targets = body.partial_execution_targets;
    if (targets !== undefined && targets !== null && (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string' && typeof t !== 'number'))) {
      throw new HttpError(400, 'invalid_partial_execution_targets', 'partial_execution_targets must be a list of node ids');
    }
    let promptId: string = randomUUID();
    if (body.prompt_id !== undefined && body.prompt_id !== null) {
      if (typeof body.prompt_id !== 'string' || !PROMPT_ID.test(body.prompt_id)) {
        throw new HttpError(400, 'invalid_prompt_id', 'prompt_id must be 1-128 letters, digits, "_", ".", ":" or "-"');
      }
      if (store.knows(body.prompt_id)) throw new HttpError(400, 'duplicate_prompt_id', `prompt_id ${body.prompt_id} is already queued or in history`);
      promptId = body.prompt_id;
    }
    if (store.pendingCount >= config.limits.maxPending) {
      throw new HttpError(503, 'queue_full', `the queue already holds ${store.pendingCount} prompts; wait for it to drain`);
    }

    const validation = await validatePrompt(prompt, ctx.registry, ctx.services, {
      partialExecutionTargets: Array.isArray(targets) ? targets.map(String) : null,
    });
    if (!validation.ok) {
      res.status(400).json({ error: validation.error, node_errors: validation.node_errors });
      return;
    }
    // A client-chosen id may have been taken while validation awaited; a generated UUID cannot collide.
    if (body.prompt_id && store.knows(promptId)) throw new HttpError(400, 'duplicate_prompt_id', `prompt_id ${promptId} is already queued or in history`);
    const extraData: Record<string, unknown> = { ...(extra as Record<string, unknown>) };
    if (typeof clientId === 'string') extraData.client_id = clientId;
    const item = store.enqueue({
      number: store.assignNumber(body.front === true, number as number | undefined),
      promptId,
      prompt: prompt as Prompt,
      execPrompt: validation.prompt ?? (prompt as Prompt),
      extraData,
      outputs: validation.outputs,
      clientId: typeof clientId === 'string' ? clientId : null,
    });
    res.json({ prompt_id: item.promptId, number: item.number, node_errors: validation.node_errors });
    bus.queueChanged();
    worker.kick();
  });

  router.get('/queue', (_req, res) => {
    const running = store.running;
    res.json({ queue_running: running ? [toTuple(running)] : [], queue_pending: store.pending().map(toTuple) });
  });

  router.post('/queue', (req, res) => {
    const body = bodyObject(req);
    let removed = 0;
    if (body.clear === true) removed += store.clearPending();
    if (body.delete !== undefined) {
      if (!Array.isArray(body.delete) || body.delete.some((id) => typeof id !== 'string')) {
        throw new HttpError(400, 'invalid_delete', 'delete must be a list of prompt ids');
      }
      removed += store.deletePending(body.delete as string[]);
    }
    if (removed > 0) bus.queueChanged();
    res.json({ removed });
  });

  router.post('/interrupt', (req, res) => {
    const body = bodyObject(req);
    const id = body.prompt_id;
    if (id !== undefined && id !== null && typeof id !== 'string') throw new HttpError(400, 'invalid_prompt_id', 'prompt_id must be a string');
    res.json({ interrupted: worker.interrupt(typeof id === 'string' ? id : undefined) });
  });

  router.post('/free', (req, res) => {
    const body = bodyObject(req);
    if (body.free_memory === true || body.unload_models === true) ctx.executor.cache.clear();
    res.json({});
  });

  return router;
}
