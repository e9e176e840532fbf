#!/usr/bin/env bash
# Drives a running kvsd with the AWS CLI through the stream control plane.
#
# Environment:
#   AWS_CLI        the CLI to run (e.g. /usr/bin/aws for v2, or a v1 `aws`)
#   ENDPOINT       kvsd URL, e.g. http://127.0.0.1:4566
#   ERR_RC         exit code the CLI uses for service errors (254 v2, 255 v1)
#   MAX_STREAMS    the server's stream limit (the script fills it at the end)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  valid credentials
set -euo pipefail

: "${AWS_CLI:?}" "${ENDPOINT:?}" "${ERR_RC:?}" "${MAX_STREAMS:?}"
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

kv() { "$AWS_CLI" --endpoint-url "$ENDPOINT" --output json kinesisvideo "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { # check DESCRIPTION ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
  echo "ok: $1"
}
# expect_error NAME ARGS...: the command fails with the CLI's service-error
# exit code and prints the AWS error name.
expect_error() {
  local name=$1; shift
  local rc=0 err
  err=$(kv "$@" 2>&1 >/dev/null) || rc=$?
  [[ $rc == "$ERR_RC" ]] || fail "$name: exit code $rc, want $ERR_RC ($err)"
  [[ $err == *"An error occurred ($name)"* ]] || fail "$name: stderr was: $err"
  echo "ok: $name from $1"
}
wait_active() {
  for _ in $(seq 100); do
    [[ $(kv describe-stream --stream-name "$1" --query StreamInfo.Status --output text) == ACTIVE ]] && return 0
    sleep 0.1
  done
  fail "stream $1 never became ACTIVE"
}

# Create and describe.
arn=$(kv create-stream --stream-name cli-cam --media-type video/h264 --data-retention-in-hours 24 \
  --device-name dev-1 --tags site=lab,floor=2 --query StreamARN --output text)
[[ $arn == arn:aws:kinesisvideo:us-east-1:*:stream/cli-cam/* ]] || fail "bad ARN $arn"
echo "ok: create-stream $arn"
wait_active cli-cam
check "describe by name" "$(kv describe-stream --stream-name cli-cam --query 'StreamInfo.[StreamName,MediaType,DeviceName,DataRetentionInHours]' --output text)" $'cli-cam\tvideo/h264\tdev-1\t24'
check "describe by ARN" "$(kv describe-stream --stream-arn "$arn" --query StreamInfo.StreamARN --output text)" "$arn"
created=$(kv describe-stream --stream-name cli-cam --query StreamInfo.CreationTime --output text)
[[ -n $created && $created != None ]] || fail "no CreationTime"
echo "ok: CreationTime $created"

# List with a condition, auto-paginated one stream per page.
kv create-stream --stream-name cli-other >/dev/null
kv create-stream --stream-name zz-not-cli >/dev/null
check "list with BEGINS_WITH" "$(kv list-streams --stream-name-condition ComparisonOperator=BEGINS_WITH,ComparisonValue=cli- \
  --page-size 1 --query 'StreamInfoList[].StreamName' --output text)" $'cli-cam\ncli-other'
check "list all" "$(kv list-streams --query 'length(StreamInfoList)' --output text)" 3

# Update with the current version; the version changes.
v1=$(kv describe-stream --stream-name cli-cam --query StreamInfo.Version --output text)
kv update-stream --stream-name cli-cam --current-version "$v1" --media-type video/h265
wait_active cli-cam
v2=$(kv describe-stream --stream-name cli-cam --query StreamInfo.Version --output text)
[[ $v2 != "$v1" ]] || fail "version did not change"
check "update-stream" "$(kv describe-stream --stream-name cli-cam --query StreamInfo.MediaType --output text)" video/h265
expect_error VersionMismatchException update-stream --stream-name cli-cam --current-version "$v1" --media-type video/h264

# Retention.
kv update-data-retention --stream-name cli-cam --current-version "$v2" --operation INCREASE_DATA_RETENTION --data-retention-change-in-hours 24
check "retention increased" "$(kv describe-stream --stream-name cli-cam --query StreamInfo.DataRetentionInHours --output text)" 48
v3=$(kv describe-stream --stream-name cli-cam --query StreamInfo.Version --output text)
kv update-data-retention --stream-arn "$arn" --current-version "$v3" --operation DECREASE_DATA_RETENTION --data-retention-change-in-hours 47
check "retention decreased" "$(kv describe-stream --stream-name cli-cam --query StreamInfo.DataRetentionInHours --output text)" 1
v4=$(kv describe-stream --stream-name cli-cam --query StreamInfo.Version --output text)
expect_error InvalidArgumentException update-data-retention --stream-name cli-cam --current-version "$v4" --operation DECREASE_DATA_RETENTION --data-retention-change-in-hours 2

# Tags, both shapes.
kv tag-stream --stream-name cli-cam --tags site=office,new=1
check "tag-stream" "$(kv list-tags-for-stream --stream-arn "$arn" --query 'Tags.[site,floor,new]' --output text)" $'office\t2\t1'
kv untag-stream --stream-name cli-cam --tag-key-list floor new missing
check "untag-stream" "$(kv list-tags-for-stream --stream-name cli-cam --query 'keys(Tags)' --output text)" site
kv tag-resource --resource-arn "$arn" --tags Key=res,Value=yes
check "tag-resource" "$(kv list-tags-for-resource --resource-arn "$arn" --query Tags.res --output text)" yes
kv untag-resource --resource-arn "$arn" --tag-key-list res
check "untag-resource" "$(kv list-tags-for-resource --resource-arn "$arn" --query 'keys(Tags)' --output text)" site

# Data endpoints.
for api in PUT_MEDIA GET_MEDIA LIST_FRAGMENTS GET_HLS_STREAMING_SESSION_URL GET_CLIP; do
  check "get-data-endpoint $api" "$(kv get-data-endpoint --stream-name cli-cam --api-name $api --query DataEndpoint --output text)" "$ENDPOINT"
done

# One case per error type.
expect_error ResourceNotFoundException describe-stream --stream-name no-such-stream
expect_error ResourceInUseException create-stream --stream-name cli-cam
expect_error InvalidArgumentException create-stream --stream-name 'bad name'
tags=$(for i in $(seq 51); do printf 't%d=v,' "$i"; done)
expect_error TagsPerResourceExceededLimitException tag-stream --stream-name cli-cam --tags "${tags%,}"
expect_error InvalidResourceFormatException tag-stream --stream-arn not-an-arn --tags a=b
AWS_SECRET_ACCESS_KEY=wrong-secret expect_error InvalidSignatureException describe-stream --stream-name cli-cam
AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 expect_error UnrecognizedClientException describe-stream --stream-name cli-cam

# Delete: DELETING, then gone.
kv delete-stream --stream-arn "$arn" --current-version "$v4"
status=$(kv describe-stream --stream-name cli-cam --query StreamInfo.Status --output text 2>/dev/null || echo GONE)
[[ $status == DELETING || $status == GONE ]] || fail "status after delete: $status"
echo "ok: delete-stream ($status)"
for _ in $(seq 100); do
  kv describe-stream --stream-name cli-cam >/dev/null 2>&1 || break
  sleep 0.1
done
expect_error ResourceNotFoundException describe-stream --stream-name cli-cam

# Fill the account's stream limit.
n=$(kv list-streams --query 'length(StreamInfoList)' --output text)
for i in $(seq "$n" $((MAX_STREAMS - 1))); do kv create-stream --stream-name "fill-$i" >/dev/null; done
expect_error AccountStreamLimitExceededException create-stream --stream-name one-too-many

echo "PASS: $AWS_CLI"
