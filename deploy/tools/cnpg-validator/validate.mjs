#!/usr/bin/env node
// Validates CloudNativePG objects with the ajv validators that @kubernetes-models/cloudnative-pg
// generates from CloudNativePG's Go API types (github.com/cloudnative-pg/cloudnative-pg/api/v1).
//
// Input (stdin): a JSON array of Kubernetes objects, e.g. everything one overlay renders.
// Output (stdout): one JSON line per input object, in input order:
//   {"index": 0, "apiVersion": "...", "kind": "...", "name": "...", "namespace": "...",
//    "status": "valid" | "invalid" | "skipped", "errors": ["data/spec/instances must be integer"]}
// "skipped" = not a postgresql.cnpg.io object. A postgresql.cnpg.io object of a version or kind
// this script has no validator for is "invalid", never silently passed.
// Exit status: 0 all valid or skipped, 1 at least one invalid, 2 unusable input.
//
// Limitation: the generated schemas type-check known fields (types, enums, patterns, required
// fields, bounds) but do NOT reject unknown fields.
import { readFileSync } from "node:fs";

import { Backup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Backup";
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import { Pooler } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Pooler";
import { ScheduledBackup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup";

const GROUP = "postgresql.cnpg.io";
const MODELS = new Map(
  [Cluster, ScheduledBackup, Backup, Pooler].map((m) => [`${m.apiVersion} ${m.kind}`, m]),
);

function messagesOf(err) {
  if (Array.isArray(err?.errors) && err.errors.length) {
    return err.errors.map((e) => `data${e.instancePath} ${e.message}`);
  }
  return [String(err?.message ?? err)];
}

function check(obj, index) {
  const isObject = obj !== null && typeof obj === "object" && !Array.isArray(obj);
  const apiVersion = isObject ? obj.apiVersion : undefined;
  const kind = isObject ? obj.kind : undefined;
  const result = {
    index,
    apiVersion: apiVersion ?? null,
    kind: kind ?? null,
    name: isObject ? (obj.metadata?.name ?? null) : null,
    namespace: isObject ? (obj.metadata?.namespace ?? null) : null,
  };
  if (!isObject) {
    return { ...result, status: "invalid", errors: ["not a JSON object"] };
  }
  if (typeof apiVersion !== "string" || apiVersion.split("/")[0] !== GROUP) {
    return { ...result, status: "skipped", errors: [] };
  }
  const Model = MODELS.get(`${apiVersion} ${kind}`);
  if (!Model) {
    return {
      ...result,
      status: "invalid",
      errors: [`no validator for ${apiVersion} ${kind} (have: ${[...MODELS.keys()].join(", ")})`],
    };
  }
  try {
    // The model copies the object (dropping undefined values); apiVersion/kind come from obj.
    new Model(obj).validate();
    return { ...result, status: "valid", errors: [] };
  } catch (err) {
    return { ...result, status: "invalid", errors: messagesOf(err) };
  }
}

let objects;
try {
  objects = JSON.parse(readFileSync(0, "utf8"));
} catch (err) {
  process.stderr.write(`cnpg-validator: stdin is not JSON: ${err.message}\n`);
  process.exit(2);
}
if (!Array.isArray(objects)) {
  process.stderr.write("cnpg-validator: stdin must be a JSON array of objects\n");
  process.exit(2);
}

let failed = false;
const lines = objects.map((obj, i) => {
  const result = check(obj, i);
  failed ||= result.status === "invalid";
  return JSON.stringify(result);
});
process.stdout.write(lines.length ? lines.join("\n") + "\n" : "");
process.exitCode = failed ? 1 : 0;
