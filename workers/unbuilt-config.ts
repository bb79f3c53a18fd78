/**
 * What `lifeboat-config` resolves to when wrangler runs on workers/wrangler.jsonc directly: no
 * config at all, so a bare `wrangler deploy` here fails at upload (Cloudflare runs the module
 * once and refuses a Worker that throws) instead of shipping some config by accident. Deploy with
 * `lifeboat deploy cloudflare --config FILE`, which builds in .lifeboat/build/worker/.
 */
import { ConfigurationError } from '#core/errors.ts';

throw new ConfigurationError('no Lifeboat config bundled: deploy with "lifeboat deploy cloudflare --config my.config.ts" (docs/cloudflare.md), not wrangler in workers/');
