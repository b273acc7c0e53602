// prepack step of @switchyard/proto: ships the .proto sources inside the package.
const fs = require('node:fs');
const path = require('node:path');
const src = path.resolve(__dirname, '..', 'proto', 'switchyard');
const dst = path.resolve(process.cwd(), 'proto', 'switchyard');
fs.rmSync(dst, { recursive: true, force: true });
fs.cpSync(src, dst, { recursive: true });
