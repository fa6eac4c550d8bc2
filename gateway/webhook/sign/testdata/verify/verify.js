// An independent receiver for the Go tests of package sign: it verifies
// deliveries with the npm standardwebhooks package, the reference
// implementation's JavaScript library, so our signatures are checked by code
// we did not write.
//
// Input on stdin, JSON: [{name, secrets: ["whsec_…", …], headers: {…},
// body: "<base64 of the exact bytes sent>"}]. Every delivery must verify
// with every one of its secrets on its own, as a receiver holding only the
// old or only the new secret would during a rotation. Exits 1 if any check
// fails, or if there was nothing to check.
"use strict";

const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const deliveries = JSON.parse(fs.readFileSync(0, "utf8"));
let verified = 0;
let failures = 0;
for (const d of deliveries) {
  const body = Buffer.from(d.body, "base64");
  d.secrets.forEach((secret, i) => {
    try {
      new Webhook(secret).verify(body, d.headers);
      verified++;
    } catch (e) {
      failures++;
      console.error(`${d.name}: secret ${i}: ${e.name}: ${e.message}`);
    }
  });
}
console.log(`verified ${verified} signatures, ${failures} failures`);
process.exit(failures > 0 || verified === 0 ? 1 : 0);
