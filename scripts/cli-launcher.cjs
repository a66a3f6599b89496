#!/usr/bin/env node
'use strict';
// The `hako` executable (build/cli/hako.cjs). It runs the bundled CLI, hako-main.cjs, the
// way Node's own loader runs a CommonJS file, except that it hands V8 the code cache made
// at build time (hako-main.cjs.cache), so V8 skips compiling the bundle. A cache that is
// missing, or that another Node or V8 made, is rejected by V8 and the bundle is compiled
// as usual: the cache changes how fast hako starts, never what it does.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');
// module.constructor is Node's Module: require('node:module') would also load the ES module
// loader, which nothing here needs.
const { wrap } = module.constructor;

const file = join(__dirname, 'hako-main.cjs');
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  cachedData = undefined;
}
// The bundle has no import(): modules it loads late, it loads with require().
const script = new vm.Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const mod = { exports: {} };
// The bundle sits beside this file, so this file's require() resolves what it needs.
script.runInThisContext()(mod.exports, require, mod, file, __dirname);
