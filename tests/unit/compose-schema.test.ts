// Both compose files against the Compose specification's own JSON schema: a key misspelt or misplaced is
// found here, without a Docker engine. The schema is scripts/docker/compose-spec.json, from the
// compose-spec/compose-spec repository (schema/compose-spec.json, 2026-06-23, Apache-2.0).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { z } from "zod";
import { PROJECT_ROOT } from "../../scripts/stack/paths";

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");
// Draft 7, under an address ("https:") that Ajv knows by another ("http:", with "#").
const { $schema: _draft, ...schema } = z.record(z.string(), z.unknown()).parse(JSON.parse(read("scripts/docker/compose-spec.json")));
// The schema names formats (durations, ports) that Compose checks itself; their shapes are checked here.
const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);

test("both compose files follow the Compose specification", () => {
  for (const file of ["docker-compose.yml", "docker-compose.cluster.yml"]) {
    assert.ok(validate(parse(read(file), { merge: true })), `${file}: ${JSON.stringify(validate.errors, null, 2)}`);
  }
});

test("the schema check finds what Compose would refuse", () => {
  const broken = { services: { web: { image: "x", restart: ["always"], healthcheck: { tests: ["CMD", "true"] } } } };
  assert.equal(validate(broken), false);
  assert.deepEqual(validate.errors?.map((error) => error.instancePath).sort(), ["/services/web/healthcheck", "/services/web/restart"]);
});
