/** Entry for the bundled engine benchmark: prints one JSON line (see bench/run.ts). */
import { benchEngine } from './engine.ts';

console.log(JSON.stringify(benchEngine()));
