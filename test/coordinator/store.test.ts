import { MemoryStateStore } from '#core/coordinator/store.ts';
import { stateStoreContract } from './state-store-contract.ts';

stateStoreContract('memory', () => new MemoryStateStore());
