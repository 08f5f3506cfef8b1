#!/usr/bin/env bash
# Runs every test of the suite and ends with "N passed, N failed".
# C tests (<tree>/tests/test_*) and script tests (tests/test_*.sh) print one
# line per check, "PASS name" or "FAIL name"; a test program that exits
# non-zero without reporting a failure counts as one failure; one that runs
# longer than IONSTACK_TEST_TIMEOUT seconds (default 900) is stopped and fails.
#
# IONSTACK_BUILD lists the build trees to run the suite on, one pass each
# (default "build": the C tests in build/tests and bin/ionstack). `make test`
# passes "build build/asan"; the tree build/asan holds the sanitized copies
# (build/asan/tests/test_*, build/asan/bin/ionstack). In a pass over a tree
# other than build, check names start with the tree's name ("PASS asan:name"),
# PATH starts with <tree>/bin so that the script tests' `ionstack` is that
# tree's, and the script tests see IONSTACK_BUILD set to that one tree (their
# test programs are $IONSTACK_BUILD/tests/test_*). The last line counts all
# passes together.
#
# The sanitizer runtime options (below) and suppressions (tests/sanitizers/)
# are set for every pass; they only act on instrumented programs. Each
# sanitizer report, from any process a test starts, is written to
# <tree>/tests/log/<test>.san.<pid>, and a test that leaves one fails, whatever
# its own checks and exit status said: a script test may run ionstack in a
# subshell or expect a failing status, and neither hides a report.
cd "$(dirname "$0")/.." || exit 2
top=$PWD
path0=$PATH
san=$top/tests/sanitizers
# Sanitizer runtime options. In each option string a later entry wins: the
# caller's own ASAN_OPTIONS etc. come after these, and log_path comes last
# because the reports must land where this script looks for them.
# - fast_unwind_on_malloc=0: Debian's libraries have no frame pointers, so the
#   fast unwinder loses the stack of their allocations, and the suppressions
#   (tests/sanitizers/lsan.supp) could not see MPI_Init/MPI_Finalize in them.
# - detect_stack_use_after_return, strict_string_checks: more checks, cheap here.
# - allow_user_segv_handler=0: PETSc installs its own SIGSEGV handler, which
#   would print a PETSc traceback instead of ASan's report with the address.
# - exitcode=86 (both runtimes): 1 and 3 are ionstack's own statuses (bad input,
#   solver failure), which a test may expect.
# - halt_on_error=1, print_stacktrace=1: UBSan stops at the first report, with
#   its stack (the build uses -fno-sanitize-recover=undefined as well).
# - UBSan abort_on_error=1 with ASan handle_abort=1: gcc links UBSan as a
#   runtime of its own (libubsan) that, beside ASan, prints to stderr whatever
#   log_path says. Its abort() makes ASan write a report, with the stack of
#   the __ubsan_handle_* call, into the log file; its own message stays on the
#   test's stderr.
# Under mpiexec the ranks inherit these variables (one node, ranks forked by
# mpiexec); across nodes they need mpiexec -x ASAN_OPTIONS -x LSAN_OPTIONS
# -x UBSAN_OPTIONS. gcc's runtimes symbolize stacks themselves (file:line);
# programs built with clang (the fuzz target) call llvm-symbolizer (package llvm).
asan_opts="detect_leaks=1:fast_unwind_on_malloc=0:detect_stack_use_after_return=1:strict_string_checks=1"
asan_opts="$asan_opts:allow_user_segv_handler=0:handle_abort=1:exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
ubsan_opts="suppressions=$san/ubsan.supp:print_stacktrace=1:halt_on_error=1:abort_on_error=1:exitcode=86${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$san/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

limit=${IONSTACK_TEST_TIMEOUT:-900}
passed=0 failed=0
for tree in ${IONSTACK_BUILD:-build}; do
  tree=${tree%/}
  case $tree in /*) abs=$tree ;; *) abs=$top/$tree ;; esac
  if [ "$tree" = build ]; then
    prefix="" bindir=$top/bin
  else
    prefix="${tree##*/}:" bindir=$abs/bin
  fi
  [ -d "$abs/tests" ] || { echo "FAIL ${prefix}suite: $tree/tests does not exist; build it first (make test)"; failed=$((failed + 1)); continue; }
  export PATH="$bindir:$path0" IONSTACK_BUILD=$tree
  log=$tree/tests/log
  mkdir -p "$log"
  for t in "$tree"/tests/test_* tests/test_*.sh; do
    [ -x "$t" ] || [ "${t##*.}" = sh ] || continue
    name=$(basename "$t")
    out=$log/$name.out
    rm -f "$log/$name".san.*
    export ASAN_OPTIONS="$asan_opts:log_path=$abs/tests/log/$name.san"
    export UBSAN_OPTIONS="$ubsan_opts:log_path=$abs/tests/log/$name.san"
    start=$(date +%s%N)
    # a hung test is a failure, not a stalled suite
    if [ "${t##*.}" = sh ]; then timeout "$limit" bash "$t" >"$out" 2>&1; else timeout "$limit" "$t" >"$out" 2>&1; fi
    status=$?
    [ "$status" -eq 124 ] && echo "FAIL $name: still running after $limit s" >>"$out"
    reports=$(ls "$log/$name".san.* 2>/dev/null)
    if [ -n "$reports" ]; then
      first=$(echo "$reports" | head -n 1)
      what=$(grep -m 1 -E 'ERROR: |runtime error:' "$first" | sed 's/^==[0-9]*==//')
      if grep -q '__ubsan_handle_' "$first"; then
        what="UndefinedBehaviorSanitizer: $(grep -m 1 -A 1 '__ubsan_handle_' "$first" | sed -n 's/.* in __ubsan_handle_\([a-z_]*\).*/\1/p; 2s/.* in //p' | tr '\n' ' ')"
      fi
      echo "FAIL $name: sanitizer reports from $(echo "$reports" | wc -l) process(es), in $log/$name.san.*; first: $what" >>"$out"
      head -n 60 "$first" >>"$out"
    fi
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
      echo "FAIL $name: exited with status $status" >>"$out"
      f=1
    fi
    grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed "s/^\(PASS\|FAIL\|SKIP\) /\1 $prefix/" # a SKIP says why, and is not counted
    # indented, so that the tail's own PASS/FAIL lines are not counted twice by a reader
    [ "$f" -gt 0 ] && { echo "--- output of $prefix$name:"; tail -n 30 "$out" | sed 's/^/    /'; }
    printf '# %s%s: %d passed, %d failed, %d ms\n' "$prefix" "$name" "$p" "$f" $((($(date +%s%N) - start) / 1000000))
    passed=$((passed + p)) failed=$((failed + f))
  done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
