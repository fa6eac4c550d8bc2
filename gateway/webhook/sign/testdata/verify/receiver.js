// An independent webhook receiver for the dispatcher's end-to-end tests:
// an HTTP server on 127.0.0.1 that verifies every request with the npm
// standardwebhooks package, as a receiver in production would, and
// answers 204 when at least one of its secrets verifies it, 400 otherwise.
//
// It prints {"listening": PORT} once ready, then one JSON line per
// request: {id, type, verified: [true or the error, per secret]}.
// PUT /_secrets with a JSON array of "whsec_…" secrets sets the secrets
// it verifies with (none at start, so it refuses everything until told);
// the test sends that, unsigned, before the deliveries it concerns.
"use strict";

const http = require("http");
const { Webhook } = require("standardwebhooks");

let secrets = [];

function read(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const server = http.createServer(async (req, res) => {
  const body = await read(req);
  if (req.method === "PUT" && req.url === "/_secrets") {
    secrets = JSON.parse(body.toString("utf8"));
    res.writeHead(204).end();
    return;
  }
  const verified = secrets.map((s) => {
    try {
      new Webhook(s).verify(body, req.headers);
      return true;
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  });
  let type = null;
  try {
    type = JSON.parse(body.toString("utf8")).type;
  } catch (e) {
    type = `unparsable body: ${e.message}`;
  }
  console.log(JSON.stringify({ id: req.headers["webhook-id"], type, verified }));
  res.writeHead(verified.includes(true) ? 204 : 400).end();
});

server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
