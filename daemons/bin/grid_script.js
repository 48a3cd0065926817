#!/usr/bin/env node
// Committed launcher, so npm links the command before the first build; the code is in dist/.
import '../dist/grid_script.js';
