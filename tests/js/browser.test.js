// The suite in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): a
// loopback server hands out the package (web entry) and the suite; the page runs them and the
// results come back as node tests. CHROMIUM=path overrides the browser.
import { test, after } from "node:test";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { fixturePath } from "./paths.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    try {
        let file;
        if (path === "/") {
            res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>rolesanywhere suite</title>");
            return;
        } else if (path === "/fixture.json") file = fixturePath();
        else if (path.startsWith("/pkg/") || path.startsWith("/tests/js/")) file = join(root, path);
        else throw new Error("not served");
        const body = await readFile(file);
        res.writeHead(200, { "content-type": types[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream" }).end(body);
    } catch {
        res.writeHead(404).end();
    }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
after(async () => {
    await browser.close();
    server.close();
});
const page = await browser.newPage();
const console_ = [];
page.on("console", (m) => console_.push(m.text()));
page.on("pageerror", (e) => console_.push(String(e)));
await page.goto(`${base}/`);
const results = await page.evaluate(async (base) => {
    const { suite, runAll } = await import(`${base}/tests/js/suite.js`);
    const api = await import(`${base}/pkg/web.js`);
    const wire = await import(`${base}/pkg/wire.js`);
    const fixture = await (await fetch(`${base}/fixture.json`)).json();
    return runAll(suite(api, fixture, wire));
}, base);
if (!Array.isArray(results) || results.length === 0) throw new Error(`no results from Chromium; console: ${console_.join("\n")}`);
for (const r of results) {
    test(`chromium: ${r.name}`, () => {
        if (!r.ok) throw new Error(r.error);
    });
}
