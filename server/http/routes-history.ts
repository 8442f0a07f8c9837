// GET/POST /history and our /jobs/{id}, which tells unknown from running (ComfyUI's /history/{id} cannot).
import { Router } from 'express';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { bodyObject } from './json-body.js';

function optionalInt(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min) throw new HttpError(400, 'invalid_query', `${name} must be an integer >= ${min}`);
  return n;
}

export function historyRoutes(ctx: ServerContext): Router {
  const router = Router();
  const { store, bus } = ctx;

  router.get('/history', (req, res) => {
    const maxItems = optionalInt(req.query.max_items, 'max_items', 0);
    const offset = optionalInt(req.query.offset, 'offset', -1);
    res.json(store.history(maxItems, offset === -1 ? undefined : offset));
  });

  router.get('/history/:id', (req, res) => {
    const entry = store.historyEntry(req.params.id);
    res.json(entry ? { [req.params.id]: entry } : {});
  });

  router.post('/history', (req, res) => {
    const body = bodyObject(req);
    if (body.clear === true) store.clearHistory();
    if (body.delete !== undefined) {
      if (!Array.isArray(body.delete) || body.delete.some((id) => typeof id !== 'string')) {
        throw new HttpError(400, 'invalid_delete', 'delete must be a list of prompt ids');
      }
      store.deleteHistory(body.delete as string[]);
    }
    bus.queueChanged();
    res.json({});
  });

  router.get('/jobs/:id', (req, res) => {
    const id = req.params.id;
    const state = store.state(id);
    const job: Record<string, unknown> = { prompt_id: id, state };
    if (state === 'pending') {
      const place = store.pendingPosition(id);
      job.position = place?.position ?? -1;
      job.number = place?.number;
    } else if (state === 'done' || state === 'failed') {
      const entry = store.historyEntry(id);
      if (entry) {
        job.outputs = entry.outputs;
        job.status = entry.status.status_str;
        const failure =
          entry.status.messages.find(([type]) => type === 'execution_error') ?? entry.status.messages.find(([type]) => type === 'execution_interrupted');
        if (failure) {
          const data = failure[1] as Record<string, unknown>;
          job.error = {
            type: failure[0],
            node_id: data.node_id ?? null,
            node_type: data.node_type ?? null,
            message: data.exception_message ?? (failure[0] === 'execution_interrupted' ? 'The prompt was interrupted' : ''),
          };
        }
      }
    }
    res.json(job);
  });

  return router;
}
