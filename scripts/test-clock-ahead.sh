#!/usr/bin/env bash
# Every package's tests with the clock a year ahead (libfaketime; Debian's `faketime` package) and
# fourteen hours east of UTC: a test that only passes on the day it was written fails here.
# libfaketime shifts what the process reads as the time, not the times the kernel stamps on files
# (libuv calls statx directly), so a test that compares a file's age with the clock must set that
# file's times itself (utimes), as the suites do.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v faketime >/dev/null; then
  echo "test:clock needs faketime (Debian: apt-get install faketime)" >&2
  exit 2
fi
export TZ=Pacific/Kiritimati FAKETIME_DONT_FAKE_MONOTONIC=1
faketime -f "${VELLUM_CLOCK_SHIFT:-+365d}" node -e 'console.log(`clock: ${new Date().toString()}`)'
exec faketime -f "${VELLUM_CLOCK_SHIFT:-+365d}" npx pnpm@10.34.9 turbo run test --concurrency=2 --continue
