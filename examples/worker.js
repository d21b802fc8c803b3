// Example Cloudflare Worker: signs in to AWS with a certificate through IAM Roles Anywhere and
// answers with when the credentials expire (never the credentials themselves).
//
// Secrets (`wrangler secret put NAME`): CERTIFICATE (PEM), PRIVATE_KEY (PKCS#8 PEM), and
// optionally INTERMEDIATES (PEM bundle). Vars (wrangler.toml): TRUST_ANCHOR_ARN, PROFILE_ARN,
// ROLE_ARN, and optionally ROLESANYWHERE_ENDPOINT (a stand-in for tests).
// The private key is imported once per isolate into a non-extractable WebCrypto key.
import { getCredentials } from "../pkg/workerd.js";

export default {
    async fetch(request, env) {
        try {
            const credentials = await getCredentials({
                certificate: env.CERTIFICATE,
                privateKey: env.PRIVATE_KEY,
                intermediates: env.INTERMEDIATES || undefined,
                trustAnchorArn: env.TRUST_ANCHOR_ARN,
                profileArn: env.PROFILE_ARN,
                roleArn: env.ROLE_ARN,
                endpoint: env.ROLESANYWHERE_ENDPOINT || undefined,
                signal: request.signal,
            });
            return Response.json({ expiration: credentials.expiration.toISOString() });
        } catch (e) {
            return Response.json({ error: e?.code ?? "Internal", message: String(e?.message ?? e) }, { status: 502 });
        }
    },
};
