#!/usr/bin/env python3
"""Sets up credentials on a fresh moto server and turns its SigV4 checks on.

usage: bootstrap.py ENDPOINT STATE_DIR     (server.py calls bootstrap() itself)

moto checks signatures and IAM policies only once INITIAL_NO_AUTH_ACTION_COUNT requests have
been served without (default: never). While that count is still infinite, this creates the IAM
user `pico-test` with an access key and an inline policy allowing s3:* on everything, a role
`pico-test-role` with the same policy and a session of it (for AWS_SESSION_TOKEN), then sets
the count to 0 through moto's /moto-api/reset-auth, so every later request must be signed by a
known key. (POST /moto-api/reset would forget the user and lock everyone out.)

Writes, mode 0600: STATE_DIR/credentials.env (the user) and STATE_DIR/session.env (the role
session), as `export NAME=value` lines. The keys are moto's, good for this server only.
"""
import json
import os
import shlex
import sys
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
S3_ALL = json.dumps({"Version": "2012-10-17",
                     "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def client(service, endpoint, key="bootstrap", secret="bootstrap", token=None):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def write_env(path, values):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file was already there
    with os.fdopen(fd, "w") as f:
        f.writelines(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def wait_for(endpoint, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def bootstrap(endpoint, state_dir):
    wait_for(endpoint)
    iam = client("iam", endpoint)
    iam.create_user(UserName="pico-test")
    iam.put_user_policy(UserName="pico-test", PolicyName="s3-all", PolicyDocument=S3_ALL)
    key = iam.create_access_key(UserName="pico-test")["AccessKey"]
    account = client("sts", endpoint).get_caller_identity()["Account"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="pico-test-role", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="pico-test-role", PolicyName="s3-all", PolicyDocument=S3_ALL)
    session = client("sts", endpoint, key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn=role["Arn"], RoleSessionName="pico-test", DurationSeconds=43200)["Credentials"]

    # Not form-encoded, or moto reads an empty body (HTTP 500).
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()

    # Refuse to report ready unless the server now tells good signatures from bad.
    client("s3", endpoint, key["AccessKeyId"], key["SecretAccessKey"]).list_buckets()
    client("s3", endpoint, session["AccessKeyId"], session["SecretAccessKey"],
           session["SessionToken"]).list_buckets()
    try:
        client("s3", endpoint, key["AccessKeyId"], "not-the-secret").list_buckets()
        raise SystemExit("moto accepted a wrong secret: authentication is not enforced")
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] != 403:
            raise

    base = {"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": REGION}
    credentials = os.path.join(state_dir, "credentials.env")
    write_env(credentials, {**base, "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    write_env(os.path.join(state_dir, "session.env"),
              {**base, "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
               "AWS_SESSION_TOKEN": session["SessionToken"]})
    return credentials


if __name__ == "__main__":
    print(bootstrap(sys.argv[1], sys.argv[2]))
