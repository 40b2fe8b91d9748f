// Loads a worker thread's module `<dir>/<name>`: from the build (dist/, what the platform's
// processes run) the compiled `<name>.js` beside the entry; from the sources (tests load them
// through ts-jest) `<name>.ts` through tsx, a development dependency.
const fs = require('node:fs');
const path = require('node:path');

module.exports = function loadWorker(dir, name) {
  if (fs.existsSync(path.join(dir, `${name}.js`))) return require(path.join(dir, `${name}.js`));
  require('tsx/cjs');
  return require(path.join(dir, `${name}.ts`));
};
