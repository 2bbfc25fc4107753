// Drives Plumbline's KMS and STS with the AWS SDK for JavaScript v3 and
// prints what it saw as JSON (run by kms_sts_clients_test.py; it lives under
// the repository so that ESM resolution finds the root node_modules).
// Usage: node kms_sts_client.mjs ENDPOINT KEY SECRET ACCOUNT
import { KMSClient, CreateKeyCommand, CreateAliasCommand, EncryptCommand, DecryptCommand,
  GenerateDataKeyCommand, ListAliasesCommand, DescribeKeyCommand } from "@aws-sdk/client-kms";
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";

const [endpoint, accessKeyId, secretAccessKey, account] = process.argv.slice(2);
const region = "us-west-2";
const base = { endpoint, region, credentials: { accessKeyId, secretAccessKey } };
const kms = new KMSClient(base);
const sts = new STSClient(base);
const out = {};
const code = async (p) => { try { await p; return "ok"; } catch (e) { return e.name; } };

const key = await kms.send(new CreateKeyCommand({ Description: "js key" }));
const keyId = key.KeyMetadata.KeyId;
const alias = `alias/js-${Date.now()}`;
await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
const enc = await kms.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from("from js"),
  EncryptionContext: { job: "js" } }));
const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob,
  EncryptionContext: { job: "js" } }));
out.decrypt = Buffer.from(dec.Plaintext).toString();
const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }));
out.dataKeyLen = dk.Plaintext.length;
const aliases = await kms.send(new ListAliasesCommand({ KeyId: keyId }));
out.aliases = aliases.Aliases.map((a) => a.AliasName);
out.managed = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }))).KeyMetadata.KeyManager;
out.notFound = await code(kms.send(new DescribeKeyCommand({ KeyId: "alias/none-such" })));

out.caller = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
const role = `arn:aws:iam::${account}:role/js-role`;
const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "js", DurationSeconds: 900 }));
out.assumed = assumed.AssumedRoleUser.Arn;
const c = assumed.Credentials;
const tmp = { endpoint, region, credentials: { accessKeyId: c.AccessKeyId,
  secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } };
out.sessionCaller = (await new STSClient(tmp).send(new GetCallerIdentityCommand({}))).Arn;
const d2 = await new KMSClient(tmp).send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob,
  EncryptionContext: { job: "js" } }));
out.sessionDecrypt = Buffer.from(d2.Plaintext).toString();
const short = await sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "js2", DurationSeconds: 2 }));
const s = short.Credentials;
const shortKms = new KMSClient({ endpoint, region, credentials: { accessKeyId: s.AccessKeyId,
  secretAccessKey: s.SecretAccessKey, sessionToken: s.SessionToken } });
out.beforeExpiry = await code(shortKms.send(new DescribeKeyCommand({ KeyId: keyId })));
await new Promise((r) => setTimeout(r, 3500));
out.afterExpiry = await code(shortKms.send(new DescribeKeyCommand({ KeyId: keyId })));
console.log(JSON.stringify(out));
