#!/usr/bin/env node
// Committed launcher, so npm links the command before the first build; the code is in bundle/
// (one self-contained file, which may also be copied alone to a resource front-end).
import '../bundle/mig-resource.js';
