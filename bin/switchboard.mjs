#!/usr/bin/env node
// The `switchboard` command. Runs the TypeScript sources through tsx so that `npx switchboard`
// works straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
