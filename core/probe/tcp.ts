/**
 * The TCP health check: does the port accept a connection? Opening sockets is runtime-specific
 * (node:net, workerd's `connect()`), so the runtime injects it as a TcpConnect port.
 */
import type { TcpCheckConfig, TargetConfig } from '../config/schema.ts';
import type { ProbeResult } from '../model.ts';
import { classifyError } from './classify.ts';
import { startDeadline } from './deadline.ts';
import type { ProbeDeps } from './ports.ts';
import { MissingDependencyError } from '../errors.ts';

export class MissingTcpConnectError extends MissingDependencyError {
  override readonly name: string = 'MissingTcpConnectError';
  constructor() {
    super('a tcp health check needs a TcpConnect implementation from the runtime adapter, and none was given');
  }
}

/** Hostname of the target URL; IPv6 literals lose their URL brackets so sockets accept them. */
export function tcpHost(target: TargetConfig): string {
  return new URL(target.url).hostname.replace(/^\[(.*)\]$/, '$1');
}

export async function probeTcp(check: TcpCheckConfig, target: TargetConfig, deps: ProbeDeps): Promise<ProbeResult> {
  if (!deps.tcpConnect) throw new MissingTcpConnectError();
  const deadline = startDeadline(check.timeoutMs, deps.timer);
  const started = deps.clock.now();
  try {
    await deps.tcpConnect(tcpHost(target), check.port, deadline.signal);
    return { ok: true, latencyMs: Math.max(0, deps.clock.now() - started) };
  } catch (error) {
    const latencyMs = Math.max(0, deps.clock.now() - started);
    if (deadline.signal.aborted) {
      return { ok: false, failure: 'timeout', latencyMs, detail: `no connection within ${check.timeoutMs} ms` };
    }
    const { failure, reason } = classifyError(error);
    return { ok: false, failure, latencyMs, detail: `${failure}: ${reason}` };
  } finally {
    deadline.clear();
  }
}
