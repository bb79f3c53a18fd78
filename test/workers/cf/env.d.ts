/** `env` from cloudflare:test is the Worker's Env (workers/env.ts). */
import type { Env as WorkerEnv } from '../../../workers/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}

export {};
