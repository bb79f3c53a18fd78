/** Config and request-body paths, written the way people write them in code. No zod here: the runtimes use it too. */

/** Formats a zod path the way people write it in code: `services[0].dns[1].ttl`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}
