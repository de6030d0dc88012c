#!/usr/bin/env node
// Committed shim so npm links the bin before the first build; the code is in dist/.
await import("../dist/main.js");
