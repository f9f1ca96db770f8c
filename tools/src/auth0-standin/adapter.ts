// In-memory storage for oidc-provider, one per stand-in: isolated between instances, kept across key rotations.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number; // epoch ms; Infinity when the model has no expiry
}

/** Models that belong to a grant and die with it (revocation, refresh token reuse). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  readonly #grants = new Map<string, Set<string>>();
  readonly #uids = new Map<string, string>();
  readonly #userCodes = new Map<string, string>();

  /** The AdapterFactory oidc-provider's `adapter` option takes. */
  readonly factory: AdapterFactory = (model: string) => this.#adapter(model);

  clear(): void {
    this.#entries.clear();
    this.#grants.clear();
    this.#uids.clear();
    this.#userCodes.clear();
  }

  #get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #adapter(model: string): Adapter {
    const key = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        this.#sweep();
        const k = key(id);
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        this.#entries.set(k, { payload: structuredClone(payload), expiresAt });
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
          const members = this.#grants.get(payload.grantId) ?? new Set<string>();
          members.add(k);
          this.#grants.set(payload.grantId, members);
        }
        if (typeof payload.uid === 'string') this.#uids.set(payload.uid, id);
        if (typeof payload.userCode === 'string') this.#userCodes.set(payload.userCode, id);
      },
      find: async (id) => {
        const payload = this.#get(key(id));
        return payload ? structuredClone(payload) : undefined;
      },
      findByUid: async (uid) => {
        const id = this.#uids.get(uid);
        const payload = id === undefined ? undefined : this.#get(key(id));
        return payload ? structuredClone(payload) : undefined;
      },
      findByUserCode: async (userCode) => {
        const id = this.#userCodes.get(userCode);
        const payload = id === undefined ? undefined : this.#get(key(id));
        return payload ? structuredClone(payload) : undefined;
      },
      consume: async (id) => {
        const entry = this.#entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        const members = this.#grants.get(grantId);
        if (!members) return;
        for (const k of members) {
          if (!k.startsWith(`${model}:`)) continue;
          this.#entries.delete(k);
          members.delete(k);
        }
        if (members.size === 0) this.#grants.delete(grantId);
      },
    };
  }
}
