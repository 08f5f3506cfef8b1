#!/usr/bin/env bash
# Runs every test of the suite and ends with "N passed, N failed".
# C tests (build/tests/test_*) and script tests (tests/test_*.sh) print one
# line per check, "PASS name" or "FAIL name"; a test program that exits
# non-zero without reporting a failure counts as one failure; one that runs
# longer than IONSTACK_TEST_TIMEOUT seconds (default 900) is stopped and fails.
cd "$(dirname "$0")/.." || exit 2
export PATH="$PWD/bin:$PATH"
passed=0 failed=0
log=build/tests/log
limit=${IONSTACK_TEST_TIMEOUT:-900}
mkdir -p "$log"
for t in build/tests/test_* tests/test_*.sh; do
  [ -x "$t" ] || [ "${t##*.}" = sh ] || continue
  name=$(basename "$t")
  start=$(date +%s%N)
  # a hung test is a failure, not a stalled suite
  if [ "${t##*.}" = sh ]; then timeout "$limit" bash "$t" >"$log/$name.out" 2>&1; else timeout "$limit" "$t" >"$log/$name.out" 2>&1; fi
  status=$?
  [ "$status" -eq 124 ] && echo "FAIL $name: still running after $limit s" >>"$log/$name.out"
  p=$(grep -c '^PASS ' "$log/$name.out")
  f=$(grep -c '^FAIL ' "$log/$name.out")
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: exited with status $status" >>"$log/$name.out"
    f=1
  fi
  grep -E '^(PASS|FAIL) ' "$log/$name.out"
  [ "$f" -gt 0 ] && { echo "--- output of $name:"; tail -n 30 "$log/$name.out"; }
  printf '# %s: %d passed, %d failed, %d ms\n' "$name" "$p" "$f" $((($(date +%s%N) - start) / 1000000))
  passed=$((passed + p)) failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
