#!/usr/bin/env bash
# Runs every test of both languages: the C# tests (xunit: ZeroBridge.UnitTests and ZeroBridge.Tests, every test
# project of the solution) and the Python tests (pytest), which drive the real
# C# server over real sockets. This is the test command the README gives and .ci/run runs.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# Debian's interpreter has pyzmq, msgpack and pandas here; another python3 may come first on PATH.
python="${ZEROBRIDGE_PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=python3; fi
fi

echo "== set-up"
# A fresh machine has only the .NET SDK: install (or name) the Debian packages the Python side needs.
if [ -z "${ZEROBRIDGE_PYTHON:-}" ]; then
  "$root/scripts/ensure-test-packages.sh" || exit 1
fi

echo "== build"
dotnet build ZeroBridge.slnx -nologo -v quiet -clp:ErrorsOnly || exit 1
# The CLI in Release is what ./zbridge runs (the notebook test starts the demo through it).
dotnet build src/ZeroBridge.Cli -c Release -nologo -v quiet -clp:ErrorsOnly || exit 1

echo "== C# tests"
dotnet_log="$(mktemp)"
dotnet test ZeroBridge.slnx --no-build -nologo 2>&1 | tee "$dotnet_log"
dotnet_status=${PIPESTATUS[0]}

echo "== Python tests ($python)"
pytest_log="$(mktemp)"
(cd python && "$python" -m pytest -q -p no:cacheprovider tests) 2>&1 | tee "$pytest_log"
pytest_status=${PIPESTATUS[0]}

# One closing line for both languages.
count() { grep -oE "$1" "$2" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }'; }
passed=$(( $(count 'Passed: +[0-9]+' "$dotnet_log") + $(count '[0-9]+ passed' "$pytest_log") ))
failed=$(( $(count 'Failed: +[0-9]+' "$dotnet_log") + $(count '[0-9]+ (failed|error)' "$pytest_log") ))
skipped=$(( $(count 'Skipped: +[0-9]+' "$dotnet_log") + $(count '[0-9]+ skipped' "$pytest_log") ))
rm -f "$dotnet_log" "$pytest_log"
echo
echo "all tests: $passed passed, $failed failed, $skipped skipped"
if [ "$dotnet_status" -ne 0 ] || [ "$pytest_status" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
