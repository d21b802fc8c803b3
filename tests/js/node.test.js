// The suite in Node (`node --test`), through the package's "node" export condition.
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { suite } from "./suite.js";
import * as api from "../../pkg/node.js";
import { fixturePath } from "./paths.js";

const fixture = JSON.parse(readFileSync(fixturePath(), "utf8"));
for (const t of suite(api, fixture)) test(`node: ${t.name}`, t.fn);
