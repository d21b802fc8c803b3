// Every export of the `rolesanywhere` package and of its subpaths (`inspect`, `workers`, `store`),
// used as a TypeScript user would, with each exported type named at least once. Type-checked
// (strict, never run) by scripts/test's `package` group against the files `npm pack` puts in the
// package; the group also fails when an export of the package's .d.ts files is not named here.
// `@ts-expect-error` lines are misuses the types must refuse.

import {
    AwsClient,
    createCredentialProvider,
    createSessionRequest,
    fromRolesAnywhere,
    getCredentials,
    signRequest,
    wasmSigners,
    type AwsCredentials,
    type CertificateInput,
    type CertificateMaterial,
    type CreateSessionOptions,
    type CredentialProvider,
    type Credentials,
    type CredentialsOrProvider,
    type ErrorCode,
    type GetCredentialsOptions,
    type ProviderOptions,
    type RolesAnywhereError,
    type SharedStore,
    type SignedRequest,
    type SigV4Options,
    type SigV4Request,
    type SigV4SignedRequest,
} from "rolesanywhere";
import {
    inspectCertificate,
    prepareCreateSession,
    readCreateSessionResponse,
    type CertificateFacts,
    type PreparedCreateSession,
} from "rolesanywhere/inspect";
import { denoKvStore, type DenoKvLike, type SharedStore as StoreSharedStore } from "rolesanywhere/store";
import {
    CredentialBroker,
    fromCredentialBroker,
    type BrokerAnswer,
    type CredentialBrokerEnv,
    type CredentialBrokerNamespace,
} from "rolesanywhere/workers";

const ARN = "arn:aws:rolesanywhere:us-west-2:123456789012";

export async function session(certificate: CertificateInput, privateKey: CryptoKey): Promise<Credentials> {
    const options: CreateSessionOptions = {
        certificate,
        privateKey,
        intermediates: [new Uint8Array(8), new ArrayBuffer(8)],
        trustAnchorArn: `${ARN}:trust-anchor/TA`,
        profileArn: `${ARN}:profile/P`,
        roleArn: "arn:aws:iam::123456789012:role/app",
        durationSeconds: 3600,
        signer: "webcrypto",
    };
    // @ts-expect-error: the signer is "wasm" or "webcrypto"
    const badSigner: CreateSessionOptions = { ...options, signer: "openssl" };
    void badSigner;

    const request: SignedRequest = await createSessionRequest(options);
    const method: "POST" = request.method;
    const headers: Record<string, string> = request.headers;
    void [method, headers, request.url, request.body];

    const withFetch: GetCredentialsOptions = { ...options, fetch: (input, init) => fetch(input, init), signal: AbortSignal.timeout(5000) };
    try {
        return await getCredentials(withFetch);
    } catch (e) {
        const error = e as RolesAnywhereError;
        const code: ErrorCode = error.code;
        // @ts-expect-error: not one of the core's error codes
        const unknown: ErrorCode = "Nope";
        void unknown;
        throw new Error(`sign-in failed: ${code}: ${error.message}`);
    }
}

export async function signers(): Promise<boolean> {
    const list: Array<"P-256" | "P-384" | "RSA" | "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87"> = await wasmSigners();
    return list.includes("P-256") || list.includes("ML-DSA-65");
}

export async function pkcs12Session(file: Uint8Array): Promise<Credentials> {
    const options: GetCredentialsOptions = {
        pkcs12: file,
        pkcs12Password: "password",
        trustAnchorArn: `${ARN}:trust-anchor/TA`,
        profileArn: `${ARN}:profile/P`,
        roleArn: "arn:aws:iam::123456789012:role/app",
    };
    // @ts-expect-error: a PKCS#12 file is bytes, not text
    const text: CreateSessionOptions = { ...options, pkcs12: "MIIK..." };
    void text;
    return getCredentials({ ...options, pkcs12: file.buffer as ArrayBuffer, pkcs12Password: new TextEncoder().encode("password") });
}

export async function sigv4(credentials: AwsCredentials): Promise<string> {
    const request: SigV4Request = { method: "PUT", url: new URL("https://bucket.s3.us-east-1.amazonaws.com/key"), headers: { "x-amz-meta-a": "1" }, body: "data" };
    const options: SigV4Options = { service: "s3", region: "us-east-1", presign: true, expiresIn: 600 };
    // Service and region may be left out: they are inferred from standard AWS hosts.
    const inferred: SigV4Options = { presign: true, unsignedPayload: false };
    // @ts-expect-error: unsignedPayload is a boolean (left out: the S3 presign default)
    const badPayload: SigV4Options = { ...inferred, unsignedPayload: "UNSIGNED-PAYLOAD" };
    void badPayload;
    const signed: SigV4SignedRequest = await signRequest(request, credentials, options);
    return signed.url + signed.method + Object.keys(signed.headers).join(",");
}

export async function client(provider: CredentialProvider): Promise<Response> {
    const credentials: CredentialsOrProvider = provider;
    const sts = new AwsClient({ credentials, service: "sts", region: "us-west-2" });
    const signed: Request = await sts.sign("https://sts.us-west-2.amazonaws.com/", { method: "POST", date: new Date(0) });
    void signed;
    return sts.fetch("https://sts.us-west-2.amazonaws.com/", { method: "POST", body: "Action=GetCallerIdentity&Version=2011-06-15" });
}

export function providers(certificate: CertificateInput, privateKey: CryptoKey) {
    const options: ProviderOptions = {
        trustAnchorArn: `${ARN}:trust-anchor/TA`,
        profileArn: `${ARN}:profile/P`,
        roleArn: "arn:aws:iam::123456789012:role/app",
        source: async (): Promise<CertificateMaterial> => ({ certificate, privateKey }),
        refreshMarginSeconds: 300,
        maxRetries: 3,
        shareRefresh: false,
    };
    const provider: CredentialProvider = createCredentialProvider(options);
    // The shape aws-sdk-js-v3 takes as `credentials`: a function of optional identity properties.
    const sdk: (identityProperties?: { signal?: AbortSignal }) => Promise<Credentials> = fromRolesAnywhere(options);
    return { provider, sdk };
}

export async function inspect(certificate: CertificateInput, response: Response): Promise<string> {
    const facts: CertificateFacts = await inspectCertificate({ certificate });
    const fromPkcs12: CertificateFacts = await inspectCertificate({ pkcs12: new Uint8Array(0), pkcs12Password: "pw" });
    const prepared: PreparedCreateSession = await prepareCreateSession({
        certificate,
        trustAnchorArn: `${ARN}:trust-anchor/TA`,
        profileArn: `${ARN}:profile/P`,
        roleArn: "arn:aws:iam::123456789012:role/app",
    });
    const jwk: JsonWebKey = prepared.publicKeyJwk;
    const credentials: Credentials = await readCreateSessionResponse(response);
    const expires: Date = credentials.expiration;
    const account: string | undefined = credentials.accountId;
    void account;
    return [facts.serialNumber, facts.keyType, fromPkcs12.intermediates, facts.notAfter.toISOString(), prepared.stringToSign, jwk.kty, expires.toISOString()].join("\n");
}

export function shared(kv: DenoKvLike, options: ProviderOptions): CredentialProvider {
    const store: SharedStore = denoKvStore(kv, { prefix: ["rolesanywhere"] });
    const same: StoreSharedStore = store;
    // @ts-expect-error: the sealing secret is a string or a list of strings
    const badSecret: ProviderOptions = { ...options, store: same, storeSecret: 42 };
    void badSecret;
    return createCredentialProvider({ ...options, store: same, storeSecret: ["a secret of at least thirty-two characters"] });
}

export async function broker(env: CredentialBrokerEnv & { BROKER: CredentialBrokerNamespace }, options: ProviderOptions): Promise<string> {
    const provider: CredentialProvider = fromCredentialBroker(env.BROKER, options);
    const secrets: string[] = CredentialBroker.secrets(env);
    const signIn: ProviderOptions | null = CredentialBroker.signInOptions(env);
    const answer: BrokerAnswer = await env.BROKER.get(env.BROKER.idFromName("app")).credentials({ options: {}, timing: {} });
    const text = "error" in answer ? answer.error.code : String(answer.lease.refreshAt);
    void [provider, secrets, signIn];
    return text;
}
