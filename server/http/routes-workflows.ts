// /api/workflows: list shipped templates and saved workflows, get, save (POST creates, PUT overwrites), delete.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { WorkflowLibraryError, type WorkflowSource } from '../store/workflow-library.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';

function source(value: unknown): WorkflowSource | undefined {
  if (value === undefined) return undefined;
  if (value === 'template' || value === 'saved') return value;
  throw new HttpError(400, 'invalid_query', 'source must be template or saved');
}

export function workflowRoutes(ctx: ServerContext): Router {
  const router = Router();
  const library = ctx.workflows;

  router.get('/workflows', (_req, res) => {
    res.json({ workflows: library.list() });
  });

  router.get('/workflows/:name', (req, res) => {
    res.json(library.get(req.params.name, source(req.query.source)));
  });

  const save = (overwrite: boolean) => (req: Request, res: Response) => {
    const body = req.body as unknown;
    // Accept the workflow itself, or {workflow: ...} as some clients wrap it.
    const workflow = body && typeof body === 'object' && !Array.isArray(body) && 'workflow' in body && !('nodes' in body) ? (body as { workflow: unknown }).workflow : body;
    const force = overwrite || req.query.overwrite === 'true' || req.query.overwrite === '1';
    res.json(library.save(req.params.name as string, workflow, force));
  };
  router.post('/workflows/:name', save(false));
  router.put('/workflows/:name', save(true));

  router.delete('/workflows/:name', (req, res) => {
    library.delete(req.params.name);
    res.json({ deleted: req.params.name });
  });

  router.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    if (error instanceof WorkflowLibraryError) return next(new HttpError(error.status, 'workflow_library', error.message));
    next(error);
  });
  return router;
}
