#!/usr/bin/env python3
"""Drives Plumbline's KMS and STS with boto3 (whichever python runs it) and
prints what it saw as JSON. Run by kms_sts_clients_test.py under both
Debian's and the PATH's python; the endpoint goes in as endpoint_url, which
every boto3 version honours.

Usage: kms_sts_client.py ENDPOINT ROOT_KEY ROOT_SECRET USER_KEY USER_SECRET OUTSIDER_KEY OUTSIDER_SECRET ACCOUNT
"""
import base64
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

EP, RK, RS, UK, US, OK, OS, ACCOUNT = sys.argv[1:9]
REGION = "us-west-2"


def client(svc, key, secret, token=None, validate=True):
    # The expiry test asks for a 3-second session (the test server's minimum
    # is 1 s), below the 900 s botocore checks for.
    return boto3.client(svc, endpoint_url=EP, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(parameter_validation=validate))


def code(fn):
    try:
        fn()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


out = {"boto3": boto3.__version__}
kms = client("kms", RK, RS)
key = kms.create_key(Description="boto3 key", Tags=[{"TagKey": "team", "TagValue": "labels"}])
kid = key["KeyMetadata"]["KeyId"]
out["created_state"] = key["KeyMetadata"]["KeyState"]
alias = "alias/boto3-%d" % int(time.time() * 1000)
kms.create_alias(AliasName=alias, TargetKeyId=kid)
out["alias_exists"] = code(lambda: kms.create_alias(AliasName=alias, TargetKeyId=kid))
ctx = {"purpose": "test"}
enc = kms.encrypt(KeyId=alias, Plaintext=b"hello kms", EncryptionContext=ctx)
out["decrypt"] = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"].decode()
out["decrypt_wrong_context"] = code(lambda: kms.decrypt(CiphertextBlob=enc["CiphertextBlob"]))
# An alias ARN names the alias in its key's region (the server's, which the
# key's ARN tells; not necessarily the region this client signs for).
key_region = key["KeyMetadata"]["Arn"].split(":")[3]
dk = kms.generate_data_key(KeyId="arn:aws:kms:%s:%s:%s" % (key_region, ACCOUNT, alias), KeySpec="AES_256")
out["data_key_len"] = len(dk["Plaintext"])
out["data_key_roundtrip"] = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
nop = kms.generate_data_key_without_plaintext(KeyId=kid, NumberOfBytes=64)
out["no_plaintext"] = "Plaintext" not in nop
other = kms.create_key(Description="second")["KeyMetadata"]["KeyId"]
re = kms.re_encrypt(CiphertextBlob=enc["CiphertextBlob"], SourceEncryptionContext=ctx, DestinationKeyId=other)
out["reencrypt_key"] = re["KeyId"].endswith(other)
out["incorrect_key"] = code(lambda: kms.decrypt(CiphertextBlob=re["CiphertextBlob"], KeyId=kid))
out["reencrypted"] = kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"].decode()
pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}))
out["list_keys_pages"] = len(pages)
out["list_keys_ids"] = kid in [k["KeyId"] for p in pages for k in p["Keys"]]
out["aliases"] = [a["AliasName"] for a in kms.list_aliases(KeyId=kid)["Aliases"]]
out["tags"] = kms.list_resource_tags(KeyId=kid)["Tags"]
kms.untag_resource(KeyId=kid, TagKeys=["team"])
out["tags_after_untag"] = kms.list_resource_tags(KeyId=kid)["Tags"]
kms.disable_key(KeyId=kid)
out["disabled_encrypt"] = code(lambda: kms.encrypt(KeyId=kid, Plaintext=b"x"))
kms.enable_key(KeyId=kid)
out["not_found"] = code(lambda: kms.describe_key(KeyId="alias/does-not-exist"))
out["bad_alias"] = code(lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=kid))

# Key policy: the user may use the key, the outsider may not.
user_arn = "arn:aws:iam::%s:user/keyuser" % ACCOUNT
policy = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
policy["Statement"].append({"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": [user_arn]},
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*"})
kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(policy))
out["malformed_policy"] = code(lambda: kms.put_key_policy(KeyId=kid, PolicyName="default", Policy="{\"Statement\": 1}"))
user_kms = client("kms", UK, US)
out["user_decrypt"] = user_kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"].decode()
outsider_kms = client("kms", OK, OS)
try:
    outsider_kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx)
    out["outsider_decrypt"] = "ok"
except ClientError as e:
    out["outsider_decrypt"] = e.response["Error"]["Code"]
    out["outsider_message"] = e.response["Error"]["Message"]
# A Deny for the user wins over the Allow.
policy["Statement"].append({"Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": "kms:Decrypt", "Resource": "*"})
kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(policy))
out["user_denied"] = code(lambda: user_kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx))
# The managed key: every user may use it.
m = outsider_kms.encrypt(KeyId="alias/aws/s3", Plaintext=b"managed")
out["managed_roundtrip"] = user_kms.decrypt(CiphertextBlob=m["CiphertextBlob"])["Plaintext"].decode()
out["managed_manager"] = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"]
out["managed_disable"] = code(lambda: kms.disable_key(KeyId="alias/aws/s3"))
sched = kms.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
out["pending"] = sched["KeyState"]
out["pending_use"] = code(lambda: kms.encrypt(KeyId=other, Plaintext=b"x"))
kms.cancel_key_deletion(KeyId=other)
out["cancelled_state"] = kms.describe_key(KeyId=other)["KeyMetadata"]["KeyState"]

# STS.
sts = client("sts", UK, US)
out["caller"] = sts.get_caller_identity()["Arn"]
role = "arn:aws:iam::%s:role/labeling-lambda" % ACCOUNT
out["assumed"] = sts.assume_role(RoleArn=role, RoleSessionName="lambda")["AssumedRoleUser"]["Arn"]
creds = client("sts", UK, US, validate=False).assume_role(
    RoleArn=role, RoleSessionName="boto3", DurationSeconds=3)["Credentials"]
out["asia"] = creds["AccessKeyId"].startswith("ASIA")
tmp_sts = client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
out["assumed_caller"] = tmp_sts.get_caller_identity()["Arn"]
tmp_kms = client("kms", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
out["session_encrypt"] = code(lambda: tmp_kms.encrypt(KeyId=kid, Plaintext=b"as the user"))
out["foreign_role"] = code(lambda: sts.assume_role(RoleArn="arn:aws:iam::999999999999:role/x", RoleSessionName="s1"))
out["too_long"] = code(lambda: sts.assume_role(RoleArn=role, RoleSessionName="s2", DurationSeconds=50000))
out["bad_token"] = code(lambda: client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"][:-4] + "0000").get_caller_identity())
time.sleep(4)
out["expired"] = code(lambda: tmp_sts.get_caller_identity())
out["expired_kms"] = code(lambda: tmp_kms.encrypt(KeyId=kid, Plaintext=b"late"))
st = client("sts", RK, RS).get_session_token(DurationSeconds=900)["Credentials"]
out["session_token_caller"] = client("sts", st["AccessKeyId"], st["SecretAccessKey"], st["SessionToken"]).get_caller_identity()["Arn"]
print(json.dumps(out))
