// `rolesanywhere/workers`: a credential broker for Cloudflare Workers on a Durable Object, so that
// every isolate of a Worker (and of the Workers bound to the same namespace) shares one sign-in:
// one `CreateSession` per refresh for the whole fleet, under AWS's CreateSession quota (10 per
// second per account and region, Roles Anywhere user guide, "Quotas").
//
// - One object per identity (leaf certificate and request options, `sharedKey`), which signs in
//   with the options of the isolate that asks (kept in memory only) and shares one refresh among
//   the calls that arrive meanwhile (a Durable Object may await another request's promise).
// - It keeps the credentials in memory and in its storage, sealed (AES-GCM, key derived from the
//   Worker secret `BROKER_SECRET`; `BROKER_PREVIOUS_SECRET` while rotating; pkg/sealed.js), and
//   restores them when it starts again after an eviction or a restart. Storage that does not open
//   with the secrets counts as empty.
// - An alarm at the credentials' refresh time refreshes them ahead of the isolates; while a
//   refresh runs, calls get the credentials still in use at once (stale-while-refresh). After an
//   eviction the object has no caller's options: the alarm then signs in with those the Worker's
//   environment holds (`CredentialBroker.signInOptions(env)`), when they name this object.
//
// The refresh rules are the core's machine's, driven by provider.js; this file does storage,
// sealing, the alarm and the RPC method.
import { DurableObject } from "cloudflare:workers";
import "./workerd.js"; // instantiates the wasm module
import { fail, sleep } from "./core.js";
import { brokerAnswer, brokerError, checkBrokerRequest, fromCredentialBroker } from "./broker.js";
import { createDriver, sharedKey, signInOnce } from "./provider.js";
import { sealer } from "./sealed.js";

export { fromCredentialBroker };

const now = () => Date.now();

/**
 * The Durable Object class of the credential broker. Re-export it from the Worker
 * (`export { CredentialBroker } from "rolesanywhere/workers"`), bind it (`[[durable_objects.bindings]]`,
 * a `new_sqlite_classes` migration), set the secret `BROKER_SECRET` (at least 32 characters),
 * and give the binding to {@link fromCredentialBroker} in each isolate. Subclass it to take the
 * secrets or the sign-in options of the alarm from elsewhere (the static methods).
 */
export class CredentialBroker extends DurableObject {
    /** The identity this object serves (`sharedKey` of its options), from storage or the first call. */
    #name = null;
    /** The sign-in options of the last call (memory only: the private key never reaches storage). */
    #options = null;
    /** Credentials restored from storage, until the driver takes them. */
    #restored = null;
    /** The driver of the machine (a promise), made at the first call or alarm. */
    #driver = null;
    /** The sealer (a promise). */
    #seal = null;

    constructor(ctx, env) {
        super(ctx, env);
        ctx.blockConcurrencyWhile(() => this.#restore());
    }

    /**
     * The secrets that seal the storage, current first: `BROKER_SECRET`, then
     * `BROKER_PREVIOUS_SECRET` while rotating (entries sealed with it still open, and are sealed
     * again with the current one). Static, so that it is no RPC method.
     * @param {Record<string, unknown>} env
     * @returns {string[]}
     */
    static secrets(env) {
        return [env.BROKER_SECRET, env.BROKER_PREVIOUS_SECRET].filter((s) => typeof s === "string" && s !== "");
    }

    /**
     * The sign-in options the alarm uses after an eviction, before any call brought the callers'
     * own: by default those of the Worker's environment
     * (`CERTIFICATE`, `PRIVATE_KEY`, `INTERMEDIATES`, `TRUST_ANCHOR_ARN`, `PROFILE_ARN`,
     * `ROLE_ARN`, `ROLESANYWHERE_ENDPOINT`); null without them. Used only when they name this
     * object, that is when the isolates build the same options. Static, so that it is no RPC method.
     * @param {Record<string, unknown>} env
     * @returns {object | null}
     */
    static signInOptions(env) {
        if (!env.CERTIFICATE || !env.PRIVATE_KEY || !env.TRUST_ANCHOR_ARN || !env.PROFILE_ARN || !env.ROLE_ARN) return null;
        return {
            certificate: env.CERTIFICATE,
            privateKey: env.PRIVATE_KEY,
            intermediates: env.INTERMEDIATES || undefined,
            trustAnchorArn: env.TRUST_ANCHOR_ARN,
            profileArn: env.PROFILE_ARN,
            roleArn: env.ROLE_ARN,
            endpoint: env.ROLESANYWHERE_ENDPOINT || undefined,
        };
    }

    #sealer() {
        if (this.#seal === null) {
            const secrets = this.constructor.secrets(this.env);
            this.#seal = secrets.length === 0
                ? Promise.reject(fail("InvalidOptions", "the CredentialBroker needs a secret to seal its storage: `wrangler secret put BROKER_SECRET` (at least 32 characters)"))
                : sealer(secrets, "BROKER_SECRET");
            this.#seal.catch(() => {});
        }
        return this.#seal;
    }

    /** Reads the sealed credentials back (at start, before any call or alarm is delivered). */
    async #restore() {
        let seal;
        try {
            seal = await this.#sealer();
        } catch {
            return; // no secret: every call reports it
        }
        const stored = await this.ctx.storage.get(["name", "entry"]);
        const name = stored.get("name");
        if (typeof name !== "string") return;
        this.#name = name;
        const opened = await seal.open(name, stored.get("entry"));
        if (opened === null) return; // another secret, or damaged: as if empty
        this.#restored = opened.entry;
        if (!opened.current) await this.ctx.storage.put("entry", await seal.seal(name, opened.entry));
    }

    /** The driver, made with the first caller's timing (the core's defaults for an alarm). */
    #ready(timing = {}) {
        this.#driver ??= (async () => {
            const driver = createDriver({ timing, now, sleep, random: Math.random, shareRefresh: true, background: true }, (run) => this.#refresh(run));
            if (this.#restored !== null) await driver.adopt(this.#restored.credentials, this.#restored.lease);
            this.#restored = null;
            return driver;
        })();
        return this.#driver;
    }

    /** One refresh: sign in with the callers' options, then store what was got. */
    async #refresh(run) {
        const options = this.#options;
        if (options === null) throw fail("InvalidOptions", "the CredentialBroker has no sign-in options yet");
        const credentials = await run.attempts((signal) => signInOnce(options, now, signal));
        if (run.fresh) await this.#persist(credentials, run.lease());
        return credentials;
    }

    /** Seals the credentials into storage and sets the alarm at their refresh time. */
    async #persist(credentials, lease) {
        try {
            const seal = await this.#sealer();
            await this.ctx.storage.put({ name: this.#name, entry: await seal.seal(this.#name, { credentials, lease }) });
            await this.ctx.storage.setAlarm((await this.#driver).freshUntil);
        } catch (e) {
            // The credentials are good and in memory; a restart signs in again.
            console.warn(`CredentialBroker: the credentials were not stored: ${e?.message ?? e}`);
        }
    }

    /**
     * RPC from {@link fromCredentialBroker}: the credentials for `request` (`{options, timing}`)
     * with their lease, `{credentials, lease}`, or `{error: {code, message}}`.
     */
    async credentials(request) {
        try {
            const { options, timing } = checkBrokerRequest(request);
            const name = await sharedKey(options);
            if (this.#name !== null && this.#name !== name) {
                throw fail("InvalidOptions", "this CredentialBroker object serves other sign-in options (name objects as fromCredentialBroker does)");
            }
            await this.#sealer(); // no secret: report it before signing in
            this.#name = name;
            this.#options = options;
            const driver = await this.#ready(timing);
            const credentials = await driver.credentials();
            // The credentials kept with their lease (a refresh may have ended since: the newer pair).
            return brokerAnswer(driver.cached ?? credentials, driver.lease);
        } catch (error) {
            return brokerError(error);
        }
    }

    /** The alarm: refresh ahead of the isolates, and set the next alarm; throws (the platform retries) when no fresh credentials came. */
    async alarm() {
        if (this.#options === null && this.#name !== null) {
            const options = this.constructor.signInOptions(this.env);
            if (options !== null && (await sharedKey(options)) === this.#name) this.#options = options;
        }
        if (this.#options === null) return; // nothing to sign in with: the next call refreshes
        await this.#sealer();
        const driver = await this.#ready();
        await driver.credentials().catch(() => {});
        await driver.pending?.catch(() => {});
        if (driver.freshUntil > now()) await this.ctx.storage.setAlarm(driver.freshUntil);
        else throw driver.lastError ?? fail("Internal", "the alarm's refresh got no credentials");
    }
}
