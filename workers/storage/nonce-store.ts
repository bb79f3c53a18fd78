/**
 * NonceStore over Durable Object SQLite storage. `claim` is one synchronous transaction, so of
 * concurrent claims of one nonce exactly one wins. Expired rows are ignored on lookup and deleted
 * by `sweep`, which the coordinator's alarm runs every minute.
 */
import type { UnixMs } from '#core/model.ts';
import type { NonceStore } from '#core/signing/nonce-store.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS lb_nonce (key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key_id, nonce));
  CREATE INDEX IF NOT EXISTS lb_nonce_expiry ON lb_nonce (expires_at);
`;

export class DurableNonceStore implements NonceStore {
  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.sql.exec(SCHEMA);
  }

  async claim(nonce: string, keyId: string, expiresAt: UnixMs, now: UnixMs): Promise<boolean> {
    return this.storage.transactionSync(() => {
      const held = this.sql.exec<{ expires_at: number }>('SELECT expires_at FROM lb_nonce WHERE key_id = ? AND nonce = ?', keyId, nonce).toArray()[0];
      if (held && now < held.expires_at) return false;
      this.sql.exec('INSERT OR REPLACE INTO lb_nonce (key_id, nonce, expires_at) VALUES (?, ?, ?)', keyId, nonce, expiresAt);
      return true;
    });
  }

  /** Deletes every expired nonce; returns how many. */
  sweep(now: UnixMs): number {
    return this.sql.exec('DELETE FROM lb_nonce WHERE expires_at <= ?', now).rowsWritten;
  }

  /** Held rows, expired or not (tests and metrics). */
  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM lb_nonce').one().n;
  }
}
