// Test-only preload (node --require, through NODE_OPTIONS, so the profiler worker inherits it): records every
// child process this process starts, by any child_process API, as a JSON line in REGLENS_SPAWN_LOG.
'use strict';
const fs = require('node:fs');
const childProcess = require('node:child_process');

const log = process.env.REGLENS_SPAWN_LOG;
const record = (api, file, args) => {
  if (log)
    fs.appendFileSync(log, `${JSON.stringify({ pid: process.pid, script: process.argv[1], api, file, args })}\n`);
};

// spawn, fork, exec and execFile all create a ChildProcess and call its spawn().
const spawn = childProcess.ChildProcess.prototype.spawn;
childProcess.ChildProcess.prototype.spawn = function (options) {
  record('spawn', options && options.file, options && options.args);
  return spawn.call(this, options);
};
// spawnSync, execSync and execFileSync go through the spawn_sync binding.
const binding = process.binding('spawn_sync');
const spawnSync = binding.spawn;
binding.spawn = function (options) {
  record('spawnSync', options && options.file, options && options.args);
  return spawnSync.call(this, options);
};
