#!/usr/bin/env node
// The converter CLI: see `tfjs-blocksparse --help` (any unknown command prints the usage).
const {main} = require('../dist/tfjs-blocksparse-converter.node.js');

main(process.argv.slice(2)).then(code => process.exit(code));
