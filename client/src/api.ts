// HTTP client for the server's ComfyUI-compatible routes and the app's own /api routes. Every failure becomes an
// ApiError whose message a person can act on (the route, the status, and the server's own explanation).
import type { ComfyError, NodeErrors, Prompt } from '../../server/engine/api.js';

/** One input spec from /object_info: [TYPE, opts] or [[choices], opts]. */
export type InputSpecTuple = [string | string[], Record<string, unknown>?];

/** A node class as /object_info describes it. */
export interface NodeInfo {
  input: {
    required?: Record<string, InputSpecTuple>;
    optional?: Record<string, InputSpecTuple>;
    hidden?: Record<string, unknown>;
  };
  input_order?: { required?: string[]; optional?: string[] };
  output: string[];
  output_is_list?: boolean[];
  output_name?: string[];
  output_tooltips?: string[];
  name: string;
  display_name?: string;
  description?: string;
  category?: string;
  output_node?: boolean;
}

/** /object_info: every node class by its class_type. */
export type ObjectInfo = Record<string, NodeInfo>;

/** An image on the server, as /view and history name it. */
export interface ImageRef {
  filename: string;
  subfolder: string;
  type: string;
}

/** One prompt in the queue. */
export interface QueueItem {
  number: number;
  promptId: string;
  prompt: Prompt;
  extraData: Record<string, unknown>;
}

/** /queue, running and pending (pending in execution order). */
export interface QueueState {
  running: QueueItem[];
  pending: QueueItem[];
}

/** One finished run from /history. */
export interface HistoryEntry {
  promptId: string;
  prompt: Prompt;
  extraData: Record<string, unknown>;
  outputs: Record<string, { images?: ImageRef[]; [key: string]: unknown }>;
  status: { status_str: string; completed: boolean; messages: Array<[string, unknown]> };
}

/** A workflow in the server library (template or saved). */
export interface WorkflowListing {
  name: string;
  source: string;
  /** What the workflow does, when it says (shipped templates do). */
  description?: string;
  [key: string]: unknown;
}

/** The 400 body of POST /prompt, kept whole so the editor can badge the nodes it names. */
export interface PromptRejection {
  error: ComfyError;
  node_errors: Record<string, NodeErrors>;
}

/** An HTTP failure: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly body?: unknown) {
    super(message);
    this.name = 'ApiError';
  }
}

type QueueTuple = [number, string, Prompt, Record<string, unknown>, string[]];

/** Talks to one server (same origin by default). */
export class ApiClient {
  /** The server's auth token when it requires one (from the page's ?token=, kept for the session). */
  readonly token: string | null;

  constructor(readonly base = '') {
    const fromPage = typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('token');
    if (fromPage && typeof sessionStorage !== 'undefined') sessionStorage.setItem('kontinuous.token', fromPage);
    this.token = fromPage ?? (typeof sessionStorage === 'undefined' ? null : sessionStorage.getItem('kontinuous.token'));
  }

  /** Absolute URL for a route of this server (with the token, since image tags cannot send headers). */
  url(route: string): string {
    if (!this.token) return `${this.base}${route}`;
    return `${this.base}${route}${route.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.token)}`;
  }

  /** A /view URL for an image reference (optionally a small webp preview for thumbnails, or one channel group). */
  viewUrl(image: ImageRef, thumbnail = false, channel: 'rgba' | 'rgb' | 'a' = 'rgba'): string {
    const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder ?? '', type: image.type ?? 'output' });
    if (thumbnail) query.set('preview', 'webp;80');
    if (channel !== 'rgba') query.set('channel', channel);
    return this.url(`/view?${query}`);
  }

  private async request<T>(route: string, init?: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url(route), init);
    } catch (error) {
      throw new ApiError(`Cannot reach the server for ${route}: ${(error as Error).message}`, 0);
    }
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (!response.ok) {
      const detail = (body as { error?: { message?: string } | string })?.error;
      const message = typeof detail === 'string' ? detail : detail?.message ?? (typeof body === 'string' ? body.slice(0, 200) : response.statusText);
      throw new ApiError(`${init?.method ?? 'GET'} ${route} failed (${response.status}): ${message}`, response.status, body);
    }
    return body as T;
  }

  private json<T>(route: string, method: string, payload: unknown): Promise<T> {
    return this.request<T>(route, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
  }

  getObjectInfo(): Promise<ObjectInfo> {
    return this.request<ObjectInfo>('/object_info');
  }

  /** Queues a prompt; a 400 rejection is thrown as an ApiError whose body is a PromptRejection. */
  queuePrompt(prompt: Prompt, options: { clientId: string; workflow?: unknown; front?: boolean; promptId?: string; extra?: Record<string, unknown> }): Promise<{ prompt_id: string; number: number; node_errors: Record<string, NodeErrors> }> {
    return this.json('/prompt', 'POST', {
      prompt,
      client_id: options.clientId,
      front: options.front || undefined,
      prompt_id: options.promptId,
      extra_data: { extra_pnginfo: { workflow: options.workflow }, ...options.extra },
    });
  }

  async getQueue(): Promise<QueueState> {
    const raw = await this.request<{ queue_running: QueueTuple[]; queue_pending: QueueTuple[] }>('/queue');
    const item = (t: QueueTuple): QueueItem => ({ number: t[0], promptId: t[1], prompt: t[2], extraData: t[3] ?? {} });
    return { running: (raw.queue_running ?? []).map(item), pending: (raw.queue_pending ?? []).map(item).sort((a, b) => a.number - b.number) };
  }

  deleteQueued(promptIds: string[]): Promise<unknown> {
    return this.json('/queue', 'POST', { delete: promptIds });
  }

  clearQueue(): Promise<unknown> {
    return this.json('/queue', 'POST', { clear: true });
  }

  interrupt(promptId?: string): Promise<unknown> {
    return this.json('/interrupt', 'POST', promptId ? { prompt_id: promptId } : {});
  }

  async getHistory(maxItems = 50): Promise<HistoryEntry[]> {
    const raw = await this.request<Record<string, { prompt: QueueTuple; outputs: HistoryEntry['outputs']; status: HistoryEntry['status'] }>>(`/history?max_items=${maxItems}`);
    return Object.entries(raw ?? {})
      .map(([promptId, entry]) => ({ promptId, prompt: entry.prompt?.[2] ?? {}, extraData: entry.prompt?.[3] ?? {}, outputs: entry.outputs ?? {}, status: entry.status, number: entry.prompt?.[0] ?? 0 }))
      .sort((a, b) => b.number - a.number);
  }

  clearHistory(): Promise<unknown> {
    return this.json('/history', 'POST', { clear: true });
  }

  /** Uploads an image to the input area and returns the name LoadImage should use (subfolder/name). */
  async uploadImage(file: Blob, name: string): Promise<ImageRef & { name: string }> {
    const form = new FormData();
    form.append('image', file, name);
    form.append('type', 'input');
    const result = await this.request<{ name: string; subfolder: string; type: string }>('/upload/image', { method: 'POST', body: form });
    return { ...result, filename: result.name };
  }

  /**
   * Uploads a mask (a PNG whose alpha is 0 where masked) for `original`; the server stores the original with that
   * alpha under `target` and answers its name. Throws ApiError with the server's reason (size mismatch, say).
   */
  async uploadMask(mask: Blob, name: string, original: ImageRef, target: { subfolder: string; type?: string }): Promise<ImageRef & { name: string }> {
    const form = new FormData();
    form.append('image', mask, name);
    form.append('original_ref', JSON.stringify({ filename: original.filename, subfolder: original.subfolder ?? '', type: original.type }));
    form.append('type', target.type ?? 'input');
    form.append('subfolder', target.subfolder);
    const result = await this.request<{ name: string; subfolder: string; type: string }>('/upload/mask', { method: 'POST', body: form });
    return { ...result, filename: result.name };
  }

  listWorkflows(): Promise<WorkflowListing[]> {
    return this.request<WorkflowListing[] | { workflows: WorkflowListing[] }>('/api/workflows').then((r) => (Array.isArray(r) ? r : r.workflows ?? []));
  }

  getWorkflow(name: string, source?: string): Promise<unknown> {
    const query = source ? `?source=${encodeURIComponent(source)}` : '';
    return this.request(`/api/workflows/${encodeURIComponent(name)}${query}`);
  }

  saveWorkflow(name: string, workflow: unknown): Promise<unknown> {
    return this.json(`/api/workflows/${encodeURIComponent(name)}`, 'PUT', workflow);
  }

  deleteWorkflow(name: string): Promise<unknown> {
    return this.request(`/api/workflows/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
}
