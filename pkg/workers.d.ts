// Types for `rolesanywhere/workers`: the credential broker for Cloudflare Workers, a Durable Object
// that signs in once per refresh for every isolate bound to its namespace.

import type { CredentialProvider, Credentials, ProviderOptions } from "./index.d.ts";

/** What a Worker's environment holds for the broker (the secrets; the alarm's sign-in options). */
export interface CredentialBrokerEnv {
    /** Seals the object's storage (AES-256-GCM, key by HKDF-SHA-256): at least 32 characters. */
    BROKER_SECRET?: string;
    /** While rotating: the previous secret, still accepted for reading (entries are sealed again with the current one). */
    BROKER_PREVIOUS_SECRET?: string;
    [binding: string]: unknown;
}

/** What the object answers an isolate (times in ms since 1970), or the error it met. */
export type BrokerAnswer =
    | { credentials: Omit<Credentials, "expiration"> & { expiration: number }; lease: { expiration: number; refreshAt: number } }
    | { error: { code: string; message: string } };

/**
 * The Durable Object class of the credential broker. Re-export it from the Worker
 * (`export { CredentialBroker } from "rolesanywhere/workers"`), bind it in `wrangler.toml`
 * (`[[durable_objects.bindings]]` with a `new_sqlite_classes` migration), set the secret
 * `BROKER_SECRET`, and hand the binding to {@link fromCredentialBroker}. One object per identity
 * (leaf certificate and sign-in options) signs in with single flight, keeps the credentials in
 * memory and sealed in its storage (restored after an eviction; storage that does not open with
 * the secrets counts as empty), and refreshes them ahead of the isolates with an alarm at their
 * refresh time (the core's provider decides when).
 */
export class CredentialBroker {
    constructor(ctx: unknown, env: CredentialBrokerEnv);
    /** The secrets that seal the storage, current first (default: `BROKER_SECRET`, `BROKER_PREVIOUS_SECRET`). Override to take them from elsewhere. */
    static secrets(env: CredentialBrokerEnv): string[];
    /**
     * The sign-in options the alarm uses after an eviction, before an isolate brought its own
     * (default: `CERTIFICATE`, `PRIVATE_KEY`, `INTERMEDIATES`, `TRUST_ANCHOR_ARN`, `PROFILE_ARN`,
     * `ROLE_ARN`, `ROLESANYWHERE_ENDPOINT` of the environment); used only when they name this
     * object. Null: the next request refreshes instead.
     */
    static signInOptions(env: CredentialBrokerEnv): ProviderOptions | null;
    /** RPC from {@link fromCredentialBroker}: the credentials for the request's options, with their lease. */
    credentials(request: { options: object; timing: object }): Promise<BrokerAnswer>;
    /** The alarm: refreshes ahead of the isolates. */
    alarm(): Promise<void>;
}

/** The Durable Object namespace binding of a {@link CredentialBroker} (`env.BROKER`). */
export interface CredentialBrokerNamespace {
    idFromName(name: string): unknown;
    get(id: unknown): { credentials(request: { options: object; timing: object }): Promise<BrokerAnswer> };
}

/**
 * A credential provider (usable wherever {@link createCredentialProvider}'s is: `AwsClient`, an
 * aws-sdk-js-v3 client's `credentials`) that gets its credentials from the broker's object named
 * after the certificate and sign-in options: the isolate keeps them until the object's lease says
 * they are due, then asks again. When the object cannot be reached, the isolate signs in
 * directly, with the core's retries and backoff; an error the object reports (its own sign-in was
 * refused) is this provider's, with the object's code. Options are those of
 * `createCredentialProvider` without `store`; the private key must be PEM or DER (it is sent to the
 * object: a `CryptoKey` cannot be).
 * @throws `InvalidOptions` for a namespace or options that cannot work
 */
export function fromCredentialBroker(namespace: CredentialBrokerNamespace, options: ProviderOptions): CredentialProvider;
