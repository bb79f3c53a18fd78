#!/usr/bin/env node
// The installed `lifeboat` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { main, processIo } = await import(fileURLToPath(new URL('../cli/main.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2), processIo());
