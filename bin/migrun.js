#!/usr/bin/env node
import { main } from '../dist/src/cli/migrun.js';

await main();
