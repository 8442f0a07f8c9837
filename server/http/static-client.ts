// Serves the built editor (client/dist/) at `/` when it exists. HTML only for the app's own index page; the
// rest of the bundle (scripts, styles, fonts) as static files; JSON 404 for anything else.
import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

export function staticClient(distDir: string): Router {
  const router = Router();
  const index = path.join(distDir, 'index.html');
  const sendIndex: express.RequestHandler = (_req, res, next) => {
    if (!fs.existsSync(index)) return next();
    res.set({ 'Cache-Control': 'no-cache', 'X-Frame-Options': 'DENY' });
    res.sendFile(index);
  };
  router.get('/', sendIndex);
  router.get('/index.html', sendIndex);
  router.use((req, _res, next) => {
    // No other HTML (or SVG) from the bundle: only the index page is a document.
    if (/\.(html?|svg|xml)$/i.test(req.path)) return next('router');
    next();
  });
  router.use(express.static(distDir, { index: false, dotfiles: 'ignore', fallthrough: true, redirect: false }));
  return router;
}
