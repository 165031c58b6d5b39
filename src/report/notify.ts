import { maskSecrets } from '../vault/secrets.js';

/** How a webhook POST went. */
export interface NotifyResult {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

/**
 * POST a JSON body to a URL: a few attempts with a short pause between them, each with a
 * timeout. Never throws; the caller reports a failure without changing its exit code.
 */
export async function notify(url: string, body: unknown, opts: { attempts?: number; timeoutMs?: number; pauseMs?: number } = {}): Promise<NotifyResult> {
  const attempts = opts.attempts ?? 3;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const pauseMs = opts.pauseMs ?? 500;
  let error = '';
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'runbook' },
        body: maskSecrets(JSON.stringify(body)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: i, status: res.status };
      error = `HTTP ${res.status} ${res.statusText}`.trim();
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return { ok: false, attempts: i, status: res.status, error };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      error = err.cause?.code ?? err.cause?.message ?? err.message;
    }
    if (i < attempts) await new Promise((r) => setTimeout(r, pauseMs * i));
  }
  return { ok: false, attempts, error };
}
