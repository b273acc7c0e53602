// Prints "N passed, N failed" summed over jest --json result files; exits 1 when none ran or any failed.
const fs = require('node:fs');
let passed = 0;
let failed = 0;
let suiteErrors = 0;
for (const file of process.argv.slice(2)) {
  let r;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`jest-summary: cannot read ${file}: ${err.message}`);
    failed += 1;
    continue;
  }
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  suiteErrors += r.numRuntimeErrorTestSuites;
}
if (suiteErrors > 0) console.error(`jest-summary: ${suiteErrors} test file(s) failed to run`);
console.log(`${passed} passed, ${failed + suiteErrors} failed`);
process.exit(failed + suiteErrors === 0 && passed > 0 ? 0 : 1);
