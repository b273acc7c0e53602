// Root Jest config: every project's tests in one run (used by `npm test` for one summary).
const fs = require('node:fs');
const path = require('node:path');

const projects = ['packages', 'apps', 'examples', 'tools']
  .flatMap((dir) => (fs.existsSync(path.join(__dirname, dir)) ? fs.readdirSync(path.join(__dirname, dir)).map((name) => path.join(dir, name)) : []))
  .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'jest.config.cjs')))
  .map((dir) => `<rootDir>/${dir}/jest.config.cjs`);

module.exports = { projects };
