/**
 * The HTTP health check: one request, judged by status, body and latency. Web-standard fetch
 * only, so it runs unchanged in Node and workerd.
 */
import type { HttpCheckConfig, StatusMatcher, TargetConfig } from '../config/schema.ts';
import type { FailureKind, ProbeResult } from '../model.ts';
import { classifyError } from './classify.ts';
import { startDeadline } from './deadline.ts';
import type { ProbeDeps } from './ports.ts';

/**
 * Given when cancelling a body no check reads: made once, because without a reason Node's fetch
 * builds a fresh AbortError DOMException (a stack capture) per response, measurable at 2,000 probes.
 */
export const BODY_NOT_NEEDED: unknown = Object.freeze({ name: 'BodyNotNeeded', message: 'the check does not read the body' });

/** Body checks look at no more than this; a health endpoint that says more is cut off here. */
export const MAX_BODY_BYTES = 64 * 1024;

export function checkUrl(target: TargetConfig, path: string): string {
  return target.url.replace(/\/+$/, '') + path;
}

export function statusMatches(status: number, matchers: readonly StatusMatcher[]): boolean {
  return matchers.some((m) => {
    if (typeof m === 'number') return status === m;
    const [lo, hi] = m.split('-').map(Number);
    return status >= lo! && status <= hi!;
  });
}

/** Reads at most `limit` bytes, then cancels the stream so an endless body cannot hold us. */
export async function readBodyPrefix(response: Response, limit = MAX_BODY_BYTES): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - size;
      if (value.byteLength > room) {
        chunks.push(value.subarray(0, room));
        size = limit;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) { bytes.set(chunk, offset); offset += chunk.byteLength; }
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** Follows a dotted path ("checks.db.status", "items.0.ok") through parsed JSON. */
export function jsonAt(value: unknown, path: string): { found: boolean; value?: unknown } {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) {
      return { found: false };
    }
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

const needsBody = (check: HttpCheckConfig): boolean =>
  check.method !== 'HEAD' && Boolean(check.bodyContains || check.bodyMatches || check.jsonField);

/** Returns why the body fails the check, or undefined when it passes. Never quotes the body. */
function judgeBody(check: HttpCheckConfig, text: string, truncated: boolean): string | undefined {
  if (check.bodyContains !== undefined && !text.includes(check.bodyContains)) {
    return 'body does not contain the expected text';
  }
  if (check.bodyMatches !== undefined && !new RegExp(check.bodyMatches).test(text)) {
    return 'body does not match the expected pattern';
  }
  if (check.jsonField) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return truncated ? `body is over ${MAX_BODY_BYTES} bytes, too long to parse as JSON` : 'body is not JSON';
    }
    const { path, equals } = check.jsonField;
    const field = jsonAt(parsed, path);
    if (!field.found) return `JSON field ${path} is missing`;
    if (field.value !== equals) return `JSON field ${path} is not ${JSON.stringify(equals)}`;
  }
  return undefined;
}

export async function probeHttp(check: HttpCheckConfig, target: TargetConfig, deps: ProbeDeps): Promise<ProbeResult> {
  const deadline = startDeadline(check.timeoutMs, deps.timer);
  const started = deps.clock.now();
  const elapsed = (): number => Math.max(0, deps.clock.now() - started);
  let status: number | undefined;
  let body: { text: string; truncated: boolean } | undefined;
  // Only network I/O is inside the try: anything else that throws is a bug, not a network failure.
  try {
    const response = await deps.fetch(checkUrl(target, check.path), {
      method: check.method,
      headers: check.headers,
      // A redirect is judged by its own status: following it could probe some other site.
      redirect: 'manual',
      signal: deadline.signal,
    });
    status = response.status;
    if (statusMatches(status, check.expectStatus) && needsBody(check)) {
      body = await readBodyPrefix(response);
    } else {
      await response.body?.cancel(BODY_NOT_NEEDED).catch(() => {});
    }
  } catch (error) {
    const latencyMs = elapsed();
    const seenStatus = status === undefined ? {} : { status };
    // Our own deadline firing is a timeout whatever the runtime calls the abort error.
    if (deadline.signal.aborted) {
      return { ok: false, failure: 'timeout', latencyMs, ...seenStatus, detail: `no complete answer within ${check.timeoutMs} ms` };
    }
    const { failure, reason } = classifyError(error);
    return { ok: false, failure, latencyMs, ...seenStatus, detail: `${failure}: ${reason}` };
  } finally {
    deadline.clear();
  }

  const latencyMs = elapsed();
  const fail = (failure: FailureKind, detail: string): ProbeResult => ({ ok: false, failure, latencyMs, status, detail });
  if (!statusMatches(status, check.expectStatus)) {
    return fail('status', `status ${status} is not one of ${check.expectStatus.join(', ')}`);
  }
  const bodyProblem = body && judgeBody(check, body.text, body.truncated);
  if (bodyProblem) return fail('body', bodyProblem);
  if (check.maxLatencyMs !== undefined && latencyMs > check.maxLatencyMs) {
    return fail('latency', `answered in ${latencyMs} ms, over the ${check.maxLatencyMs} ms limit`);
  }
  return { ok: true, latencyMs, status };
}
