/** Shows a message in the page's live status region (`role=status`, announced by screen readers). */
export function announce(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.className = `status ${kind}`;
  el.textContent = message;
}
