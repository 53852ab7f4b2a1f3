#!/usr/bin/env node
// The converter CLI: see `tfjs-blocksparse --help` (any unknown command prints the usage).
// Production mode: no "install tfjs-node" banner from tfjs's cpu backend on every command.
require('@tensorflow/tfjs').enableProdMode();
const {main} = require('../dist/tfjs-blocksparse-converter.node.js');

main(process.argv.slice(2)).then(code => process.exit(code));
