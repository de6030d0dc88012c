#!/usr/bin/env node
// Committed shim so npm links the bin before the first build; the code is in dist/. CommonJS, as
// is `holdout score`'s whole path (see src/main.cts).
require('../dist/main.cjs');
