#!/usr/bin/env bash
# The libFuzzer target of the config loader (tests/fuzz/fuzz_config.c), built
# here with clang, -fsanitize=fuzzer,address,undefined, from the config-layer
# sources and what they link. First every committed regression input and seed
# runs once (each must end without a crash, a leak or undefined behaviour),
# then the fuzzer mutates the seeds, guided by the YAML-aware dictionary, for
# IONSTACK_FUZZ_SECONDS (default 60). Its work files and any crash input go to
# a temporary directory, never into the tree; a crash keeps that directory and
# names the input to commit to tests/fuzz/regressions.
cd "$(dirname "$0")/.." || exit 2
# The target carries its own sanitizers and does not depend on the build tree,
# so of run.sh's passes (IONSTACK_BUILD=build, then build/asan) only the plain
# one runs it.
case "${IONSTACK_BUILD:-build}" in
  build) ;;
  *) echo "# test_fuzz.sh runs in the pass over build only (the fuzz target is sanitized on its own)"; exit 0 ;;
esac
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
seconds=${IONSTACK_FUZZ_SECONDS:-60}
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader} OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null; then
  fail fuzz_config_build "clang is not installed (Debian packages clang and libclang-rt-14-dev; make test-deps installs them)"
  exit 1
fi
t=$(mktemp -d /tmp/ionstack_fuzz_run_XXXXXX)
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$t"' EXIT

# PETSc flags: its pkg-config file, else its make variables; MPI's from its
# pkg-config file, else from mpicc (clang is not mpicc).
pc=/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-real/lib/pkgconfig
if PKG_CONFIG_PATH=$pc:$PKG_CONFIG_PATH pkg-config --exists PETSc 2>/dev/null; then
  petsc=$(PKG_CONFIG_PATH=$pc:$PKG_CONFIG_PATH pkg-config --cflags --libs PETSc)
else
  petsc=$(printf 'include %s/lib/petsc/conf/variables\nall:\n\t@echo $(PETSC_CC_INCLUDES) $(PETSC_LIB)\n' "${PETSC_DIR:-/usr/lib/petsc}" | make -s -f - all)
fi
if pkg-config --exists ompi-c 2>/dev/null; then
  mpi=$(pkg-config --cflags --libs ompi-c)
else
  mpi="$(mpicc --showme:compile 2>/dev/null) $(mpicc --showme:link 2>/dev/null)"
fi
sources="tests/fuzz/fuzz_config.c src/config/config.c src/config/units.c src/config/library.c src/config/options.c src/physics/material.c"
# shellcheck disable=SC2086
if "$CLANG" -g -O1 -std=c11 -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -Iinclude -Isrc -DIONSTACK_SOURCE_DIR="\"$PWD\"" -DIONSTACK_PREFIX='"/usr/local"' -DIONSTACK_GIT='"fuzz"' \
  $sources $petsc $mpi -lyaml -lm -o "$t/fuzz_config" >"$t/build.log" 2>&1; then
  pass fuzz_config_build
else
  fail fuzz_config_build "$(tail -5 "$t/build.log")"
  exit 1
fi

# Leak reports: only PETSc's and Open MPI's start-up allocations are suppressed.
# PETSc installs its own SIGSEGV handler; ASan must keep its own to report
# (and libFuzzer to save) a crash such as a stack overflow.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:allow_user_segv_handler=0
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
flags=(-timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/config.dict -artifact_prefix="$t/" -close_fd_mask=3)

# Each committed input once, in one process: libFuzzer stops at the first crash.
inputs=(tests/fuzz/regressions/* tests/fuzz/seeds/*)
"$t/fuzz_config" "${flags[@]}" "${inputs[@]}" >"$t/replay.log" 2>&1
status=$?
ran=$(grep -c '^Running: ' "$t/replay.log")
if [ $status -eq 0 ] && [ "$ran" -eq "${#inputs[@]}" ]; then
  pass "fuzz_config_regressions_and_seeds ($ran inputs, none crashed, leaked or hung)"
else
  keep=1
  fail fuzz_config_regressions_and_seeds "$(grep '^Running: ' "$t/replay.log" | tail -1) exited with $status after $ran of ${#inputs[@]} inputs; log $t/replay.log: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$t/replay.log" | tr '\n' ' ')"
fi

# Then fuzz: the corpus grows in the temporary directory, starting from both.
mkdir -p "$t/corpus"
cp tests/fuzz/seeds/* tests/fuzz/regressions/* "$t/corpus/"
"$t/fuzz_config" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 "$t/corpus" >"$t/fuzz.log" 2>&1
status=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$t/fuzz.log" | grep -o '[0-9]*$')
rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$t/fuzz.log" | grep -o '[0-9]*$')
if [ $status -eq 0 ] && [ -n "$execs" ]; then
  pass "fuzz_config_${seconds}s ($execs inputs, $rate per second, no crash)"
else
  keep=1
  crash=$(ls "$t"/crash-* "$t"/leak-* "$t"/timeout-* "$t"/oom-* 2>/dev/null | head -1)
  fail "fuzz_config_${seconds}s" "status $status; input ${crash:-none saved} (commit it to tests/fuzz/regressions); log $t/fuzz.log: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$t/fuzz.log" | tr '\n' ' ')"
fi
