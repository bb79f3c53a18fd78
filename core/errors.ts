/**
 * The root of every error Lifeboat throws on purpose. Adapters and the CLI can tell "ours, with a
 * message meant for people" from a bug with one `instanceof LifeboatError`, and each subclass says
 * which part refused: config, key, signing, input, DNS (core/dns/types.ts DnsError), secrets
 * (core/ports.ts SecretError) or storage. Messages name the field, key id or parameter at fault
 * and never hold a secret value.
 *
 * Every class names itself with a `name` field rather than reading its constructor's name: the
 * Lambda bundles are minified without keepNames, and logs must still say `DnsError: ...`.
 */
export class LifeboatError extends Error {
  override readonly name: string = 'LifeboatError';
}

/** A config (or a part of one, like a deploy setting) that cannot be used. */
export class ConfigurationError extends LifeboatError {
  override readonly name: string = 'ConfigurationError';
}

/** A signing key that is missing, malformed or of the wrong kind. */
export class KeyError extends LifeboatError {
  override readonly name: string = 'KeyError';
}

/** A request that cannot be signed as asked (a bad nonce, a line break in a signed field). */
export class SigningError extends LifeboatError {
  override readonly name: string = 'SigningError';
}

/** A request, body or event from outside that is refused: names the field at fault. */
export class InputError extends LifeboatError {
  override readonly name: string = 'InputError';
}

/** Stored data that is not what this version wrote, or a store that keeps refusing a write. */
export class StorageError extends LifeboatError {
  override readonly name: string = 'StorageError';
}

/** A runtime piece the code was not given (a socket adapter, an environment variable). */
export class MissingDependencyError extends LifeboatError {
  override readonly name: string = 'MissingDependencyError';
}
