// Entry point of the editor page: builds the shell, starts the app (a share link in the URL wins over the tabs
// saved in this browser), and exposes it to tests as window.kontinuous = { app, graph, canvas }.
import { App } from './app.js';
import { buildShell, type Shell } from './ui/shell.js';
import { sharedWorkflow } from './ui/files.js';

declare global {
  interface Window {
    kontinuous?: { app: App; graph: App['graph']; canvas: App['canvas']; shell: Shell; ready: boolean; readyAt?: number; interactiveAt?: number };
  }
}

async function main(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) throw new Error('index.html has no #app element');
  const canvasElement = document.createElement('canvas');
  canvasElement.id = 'kx-canvas';
  canvasElement.tabIndex = 0;
  const app = new App();
  const shell = buildShell(app, root, canvasElement);
  window.kontinuous = { app, graph: app.graph, canvas: undefined as never, shell, ready: false };
  const shared = await sharedWorkflow();
  await app.start(canvasElement, shared ? { workflow: shared, name: 'shared' } : undefined);
  shell.resize();
  window.kontinuous.canvas = app.canvas;
  window.kontinuous.ready = true;
  window.kontinuous.readyAt = performance.now();
  document.body.dataset.ready = 'true';
  // Interactive once the first frame with the workflow has been drawn (the benchmark reads this).
  requestAnimationFrame(() => requestAnimationFrame(() => {
    if (window.kontinuous) window.kontinuous.interactiveAt = performance.now();
  }));
}

main().catch((error: Error) => {
  document.body.textContent = `The editor failed to start: ${error.message}`;
  console.error(error);
});
