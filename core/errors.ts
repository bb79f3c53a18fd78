/**
 * The root of every error Lifeboat throws on purpose. Adapters and the CLI can tell "ours, with a
 * message meant for people" from a bug with one `instanceof LifeboatError`, and each subclass says
 * which part refused: config, key, signing, DNS, storage or input. Messages name the field, key id
 * or parameter at fault and never hold a secret value.
 */
export class LifeboatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // The subclass's own name, so logs say `DnsError: ...` without each class setting it by hand.
    this.name = new.target.name;
  }
}

/** A config (or a part of one, like a deploy setting) that cannot be used. */
export class ConfigurationError extends LifeboatError {}

/** A signing key that is missing, malformed or of the wrong kind. */
export class KeyError extends LifeboatError {}

/** A request that cannot be signed as asked (a bad nonce, a line break in a signed field). */
export class SigningError extends LifeboatError {}

/** Stored data that is not what this version wrote, or a store that keeps refusing a write. */
export class StorageError extends LifeboatError {}

/** A runtime piece the code was not given (a socket adapter, an environment variable). */
export class MissingDependencyError extends LifeboatError {}
