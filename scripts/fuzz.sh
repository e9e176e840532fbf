#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME (default 20s) each.
#
# Go 1.26's fuzz coordinator can report "context deadline exceeded" as a
# failure when -fuzztime ends while a worker is busy (go.dev/issue/75804,
# fixed in Go 1.27). Such a run writes no failing input, so a failure counts
# only when the fuzzer wrote one to testdata/fuzz/<target>, or when the
# output is anything else.
set -u
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
for pkg in $($GO list ./...); do
  dir=$($GO list -f '{{.Dir}}' "$pkg")
  for target in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz'); do
    echo "fuzz $pkg $target"
    corpus="$dir/testdata/fuzz/$target"
    before=$(ls "$corpus" 2>/dev/null | wc -l)
    out=$($GO test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)
    status=$?
    if [ $status -eq 0 ]; then
      echo "$out" | tail -2
      continue
    fi
    after=$(ls "$corpus" 2>/dev/null | wc -l)
    if [ "$after" = "$before" ] && echo "$out" | grep -q '^    context deadline exceeded$' &&
      ! echo "$out" | grep -q 'Failing input written'; then
      echo "$out" | tail -4
      echo "fuzz $target: ignored the Go fuzz coordinator's deadline race (go.dev/issue/75804); no failing input was written"
      continue
    fi
    echo "$out"
    exit 1
  done
done
