#!/usr/bin/env node
// A source checkout's build has the development commands; an installed package has the shipped CLI only.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const devEntry = join(__dirname, '..', 'dist', 'dev-server', 'cli', 'main.js');
require(existsSync(devEntry) ? devEntry : '../dist/src/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
