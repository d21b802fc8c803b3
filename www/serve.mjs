// A tiny static server for the browser page (www/) and the package it imports (pkg/), on
// loopback only, with Node's `http` and nothing else. Optionally starts the local Roles Anywhere +
// STS stand-in with a fresh demo PKI, so that the page works offline.
//
//   node www/serve.mjs [--port 8000] [--stand-in]      (scripts/www builds what is missing first)
//
// Serves `/` (www/index.html), `/app.js`, `/style.css`, everything under `/pkg/` (`.wasm` as
// `application/wasm`), and with --stand-in `/demo.json` (the stand-in's endpoint and ARNs) and
// `/demo/*.pem` and `/demo/p256.p12` (the demo certificates, keys and PKCS#12 file: throw-away
// material made for this run). Also importable: `startServer()` (used by tests/js/www.test.mjs).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

export const root = resolve(import.meta.dirname, "..");
const www = join(root, "www");
const pkg = join(root, "pkg");

const TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".pem": "text/plain; charset=utf-8",
    ".p12": "application/x-pkcs12",
    ".ts": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
};

// Everything the page runs comes from this server; it only talks to loopback (the stand-in) or
// to AWS's own endpoints. `wasm-unsafe-eval` lets it compile the package's WebAssembly.
const CSP = [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self' http://127.0.0.1:* http://localhost:* https://*.amazonaws.com",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
].join("; ");

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** The file a URL path names, or null: only files under www/ and pkg/ (no `..`, no dot files). */
function fileFor(pathname) {
    let path;
    try {
        path = decodeURIComponent(pathname);
    } catch {
        return null;
    }
    if (path.includes("\0") || path.split("/").some((part) => part.startsWith("."))) return null;
    if (path === "/") path = "/index.html";
    const [base, rest] = path.startsWith("/pkg/") ? [pkg, path.slice(5)] : [www, path.slice(1)];
    const file = resolve(base, rest);
    return file.startsWith(base + sep) ? file : null;
}

/**
 * Starts the server on `host:port` (port 0: a free one). `demo` (optional): `{endpoint, arns,
 * dir, files}`, served as `/demo.json` and `/demo/<file>` for the page's "demo" buttons.
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function startServer({ port = 0, host = "127.0.0.1", demo } = {}) {
    if (!LOOPBACK.has(host)) throw new Error(`serve.mjs listens on loopback only, not ${host}`);
    const server = createServer(async (req, res) => {
        const url = new URL(req.url, "http://localhost");
        const send = (status, type, body) => {
            res.writeHead(status, {
                "content-type": type,
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
                "content-security-policy": CSP,
            });
            res.end(req.method === "HEAD" ? undefined : body);
        };
        if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
        if (url.pathname === "/demo.json") {
            if (!demo) return send(200, TYPES[".json"], "{}"); // no demo: the page keeps its defaults
            const { endpoint, arns, files } = demo;
            return send(200, TYPES[".json"], JSON.stringify({ endpoint, ...arns, files: Object.keys(files) }));
        }
        if (url.pathname === "/favicon.ico") return send(204, "image/x-icon", "");
        if (url.pathname.startsWith("/demo/")) {
            const name = url.pathname.slice(6);
            if (!demo || !Object.hasOwn(demo.files, name)) return send(404, "text/plain", "not found\n");
            return send(200, TYPES[name.slice(name.lastIndexOf("."))] ?? TYPES[".pem"], await readFile(demo.files[name]));
        }
        const file = fileFor(url.pathname);
        let body;
        try {
            if (!file) throw new Error("not served");
            body = await readFile(file);
        } catch {
            return send(404, "text/plain", "not found\n");
        }
        send(200, TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream", body);
    });
    await new Promise((ok, fail) => {
        server.once("error", fail);
        server.listen(port, host, ok);
    });
    const { port: actual } = server.address();
    const shown = host.includes(":") ? `[${host}]` : host;
    return {
        url: `http://${shown}:${actual}/`,
        close: () => new Promise((ok) => {
            server.closeAllConnections();
            server.close(() => ok());
        }),
    };
}

/** Whether pkg/glue/ holds a wasm build with the exports the package's inspect functions use. */
function glueReady() {
    const glue = join(pkg, "glue/rolesanywhere.js");
    return existsSync(join(pkg, "glue/rolesanywhere_bg.wasm")) && existsSync(glue) &&
        readFileSync(glue, "utf8").includes("intermediateCount");
}

async function main(argv) {
    let port = 8000;
    let host = "127.0.0.1";
    let standIn = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--port") port = Number(argv[++i]);
        else if (arg === "--host") host = argv[++i];
        else if (arg === "--stand-in") standIn = true;
        else if (arg === "-h" || arg === "--help") {
            console.log("usage: node www/serve.mjs [--port 8000] [--host 127.0.0.1] [--stand-in]");
            return;
        } else throw new Error(`unknown argument ${arg} (see --help)`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port takes 0 to 65535");
    if (!glueReady()) {
        throw new Error("pkg/glue/ has no (current) wasm build: run scripts/build-wasm full, or use scripts/www");
    }
    let demo;
    if (standIn) {
        const { makePki, startStandIn, arns } = await import("./stand-in.mjs");
        const pki = makePki();
        cleanups.push(() => pki.remove());
        const si = await startStandIn(pki.dir);
        cleanups.push(() => si.stop());
        const names = ["p256.pem", "p256.pkcs8.pem", "chain.pem", "prj-other.pem", "prj-other.pkcs8.pem", "p256.pkcs8-encrypted.pem", "p256-fullchain.pem", "p256.p12"];
        demo = { endpoint: si.endpoint, arns, files: Object.fromEntries(names.map((n) => [n, join(pki.dir, n)])) };
    }
    const server = await startServer({ port, host, demo });
    cleanups.push(() => server.close());
    console.log(`page:      ${server.url}`);
    if (demo) {
        console.log(`stand-in:  ${demo.endpoint}  (Roles Anywhere + STS on loopback; the page's default endpoint)`);
        console.log("demo PKI (throw-away, removed on exit; the page's \"demo\" buttons load the same files):");
        for (const [name, path] of Object.entries(demo.files)) console.log(`  ${name.padEnd(25)} ${path}`);
        console.log("  p256 is allowed by the role's trust policy; prj-other (another project's SPIFFE ID) is refused;");
        console.log("  p256.pkcs8-encrypted.pem and p256.p12 (p256's key and chain) have the password test");
    }
    console.log("Ctrl-C stops everything.");
}

// What main() started, stopped last first: the server, the stand-in (waited for), the demo PKI.
// On SIGINT/SIGTERM/SIGHUP (exit 0: the way to stop the server) and on errors (exit 1); the exit
// handler is the last resort (it cannot wait for the stand-in).
const cleanups = [];
function cleanup() {
    const pending = cleanups.reverse().map((f) => f());
    cleanups.length = 0;
    return Promise.all(pending);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
    process.on("exit", cleanup);
    const stop = async () => {
        await cleanup();
        process.exit(0);
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, stop);
    main(process.argv.slice(2)).catch(async (e) => {
        console.error(`serve.mjs: ${e.message}`);
        await cleanup();
        process.exit(1);
    });
}
