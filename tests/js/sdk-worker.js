// A Worker (bundled by wrangler for tests/js/sdk-workerd.test.mjs) that uses the AWS SDK for
// JavaScript v3's STS client with fromRolesAnywhere, against the stand-in named in its vars.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromRolesAnywhere } from "../../pkg/workerd.js";

export default {
    async fetch(request, env) {
        try {
            const client = new STSClient({
                region: env.REGION,
                endpoint: env.STS_ENDPOINT,
                credentials: fromRolesAnywhere({
                    certificate: env.CERTIFICATE,
                    privateKey: env.PRIVATE_KEY,
                    intermediates: env.INTERMEDIATES,
                    trustAnchorArn: env.TRUST_ANCHOR_ARN,
                    profileArn: env.PROFILE_ARN,
                    roleArn: env.ROLE_ARN,
                    endpoint: env.ROLESANYWHERE_ENDPOINT,
                }),
            });
            const identity = await client.send(new GetCallerIdentityCommand({}));
            return Response.json({ arn: identity.Arn, account: identity.Account });
        } catch (e) {
            return Response.json({ error: e?.code ?? e?.name, message: String(e?.message ?? e) }, { status: 502 });
        }
    },
};
