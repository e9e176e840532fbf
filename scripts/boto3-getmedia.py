"""Reads a stream with boto3 (Debian python3-boto3): GetDataEndpoint, then
GetMedia from EARLIEST, and prints the number of bytes and the content type.

Usage: ENDPOINT=http://127.0.0.1:4566 STREAM=name python3 boto3-getmedia.py OUTFILE
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
"""
import os
import sys

import boto3

endpoint, stream, out = os.environ["ENDPOINT"], os.environ["STREAM"], sys.argv[1]
kv = boto3.client("kinesisvideo", endpoint_url=endpoint, region_name="us-east-1")
data = kv.get_data_endpoint(StreamName=stream, APIName="GET_MEDIA")["DataEndpoint"]
media = boto3.client("kinesis-video-media", endpoint_url=data, region_name="us-east-1")
resp = media.get_media(StreamName=stream, StartSelector={"StartSelectorType": "EARLIEST"})
body = resp["Payload"].read()
with open(out, "wb") as f:
    f.write(body)
print(resp["ContentType"], len(body))

try:
    media.get_media(StreamName="no-such-stream", StartSelector={"StartSelectorType": "NOW"})
    print("no error for a missing stream")
    sys.exit(1)
except media.exceptions.ResourceNotFoundException as e:
    print("ResourceNotFoundException", e.response["ResponseMetadata"]["HTTPStatusCode"])
