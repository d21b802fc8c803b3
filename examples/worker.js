// Example Cloudflare Worker: signs in to AWS with a certificate through IAM Roles Anywhere, then
// calls STS GetCallerIdentity with the temporary credentials (SigV4, signed in the same wasm
// core) and answers with who it is and when the credentials expire (never the credentials).
//
// Secrets (`wrangler secret put NAME`): CERTIFICATE (PEM), PRIVATE_KEY (PKCS#8 PEM),
// BROKER_SECRET (at least 32 characters: seals the broker's storage), and optionally
// INTERMEDIATES (PEM bundle). Vars (wrangler.toml): TRUST_ANCHOR_ARN, PROFILE_ARN, ROLE_ARN, and
// optionally ROLESANYWHERE_ENDPOINT and STS_ENDPOINT (a local stand-in).
//
// Credentials come through the credential broker, a Durable Object (binding BROKER in
// wrangler.toml) that signs in once per refresh for every isolate of the deployment, so that a
// fleet of isolates stays under CreateSession's quota (README, "At fleet scale"). Each isolate's
// provider lives at module scope and keeps its own copy until the refresh time; without the
// binding, each isolate signs in for itself (createCredentialProvider with the same options).
// Neither shares a pending promise between requests, which Workers forbid.
import { AwsClient, createCredentialProvider } from "../pkg/workerd.js";
import { CredentialBroker, fromCredentialBroker } from "../pkg/workers.js";

export { CredentialBroker };

let provider;

/** The isolate's provider, made from the first request's environment. */
function credentialsFor(env) {
    const options = CredentialBroker.signInOptions(env);
    if (options === null) throw Object.assign(new Error("CERTIFICATE, PRIVATE_KEY and the three ARNs must be set"), { code: "InvalidOptions" });
    provider ??= env.BROKER ? fromCredentialBroker(env.BROKER, options) : createCredentialProvider(options);
    return provider;
}

/** The text of the first `<name>…</name>` element of an XML answer. */
const element = (xml, name) => xml.match(new RegExp(`<${name}>([^<]*)</${name}>`))?.[1];

export default {
    async fetch(request, env) {
        try {
            const credentials = credentialsFor(env);
            const { expiration } = await credentials({ signal: request.signal });
            const region = env.TRUST_ANCHOR_ARN.split(":")[3];
            const sts = new AwsClient({ credentials, service: "sts", region });
            const answer = await sts.fetch(env.STS_ENDPOINT || `https://sts.${region}.amazonaws.com/`, {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
                body: "Action=GetCallerIdentity&Version=2011-06-15",
                signal: request.signal,
            });
            const xml = await answer.text();
            if (!answer.ok) {
                const code = element(xml, "Code") ?? `HTTP ${answer.status}`;
                return Response.json({ error: code, message: element(xml, "Message") ?? "" }, { status: 502 });
            }
            return Response.json({
                arn: element(xml, "Arn"),
                account: element(xml, "Account"),
                userId: element(xml, "UserId"),
                expiration: expiration.toISOString(),
            });
        } catch (e) {
            return Response.json({ error: e?.code ?? "Internal", message: String(e?.message ?? e) }, { status: 502 });
        }
    },
};
