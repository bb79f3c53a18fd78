/** Entry for the bundled engine benchmark: prints one JSON line (see bench/run.ts). */
import { benchEngine } from './engine.ts';
import { benchLedger } from './engine-ledger.ts';

console.log(JSON.stringify({ ...benchEngine(), ledger: benchLedger() }));
