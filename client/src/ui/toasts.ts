// Short messages in the corner: what happened, or what went wrong and what to do about it.
import { h } from './dom.js';

/** How a message is styled: neutral, good news, or a problem to act on. */
export type ToastKind = 'info' | 'success' | 'error';

/** Shows a message for a few seconds (errors stay longer and can be dismissed by a click). */
export function toast(message: string, kind: ToastKind = 'info', ms = kind === 'error' ? 9000 : 3500): void {
  let host = document.getElementById('kx-toasts');
  if (!host) {
    host = h('div', { id: 'kx-toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(host);
  }
  const el = h('div', { class: `kx-toast kx-toast-${kind}`, onClick: () => el.remove() }, message);
  host.append(el);
  setTimeout(() => el.remove(), ms);
}
