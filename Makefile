# ionstack build. `make run` and `make test` work on a fresh Debian 12:
# they install the missing Debian packages first (SPEC section 9).
PETSC_DIR ?= /usr/lib/petsc
-include $(PETSC_DIR)/lib/petsc/conf/variables

PREFIX   ?= /usr/local
BUILD    := build
CFLAGS   := -O2 -g -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -fopenmp -fPIC \
            -Iinclude -Isrc $(PETSC_CC_INCLUDES) -DIONSTACK_SOURCE_DIR='"$(CURDIR)"' \
            -DIONSTACK_PREFIX='"$(PREFIX)"' -DIONSTACK_GIT='"$(shell git describe --always --dirty 2>/dev/null || echo unknown)"'
LDLIBS   := -fopenmp $(PETSC_LIB) -lyaml -lm

LIB_SRC  := $(wildcard src/*/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC:= $(wildcard bench/*.c)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# A second build tree, instrumented with AddressSanitizer (with LeakSanitizer)
# and UndefinedBehaviorSanitizer, in which `make test` runs the suite again
# (docs/verification.md, "Sanitizers"). Any undefined behaviour aborts the
# program instead of printing and going on. The runtime options and the
# suppressions of third-party libraries live in tests/sanitizers/.
ASAN       := $(BUILD)/asan
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_OBJ   := $(LIB_SRC:src/%.c=$(ASAN)/%.o)
ASAN_TESTS := $(TEST_SRC:tests/%.c=$(ASAN)/tests/%)

# Debian packages the build, the runs and the plots need (`make run`). The
# test suite adds ParaView, whose XDMF reader must open the .xmf sidecars,
# with xvfb and xauth so that pvbatch renders without a display (xvfb-run);
# clang and its compiler-rt for the libFuzzer target of the config loader; and
# llvm for llvm-symbolizer, through which clang-built programs print sanitizer
# stacks as file:line; slurm-wlm and munge for the cluster test's real
# single-node SLURM (tests/test_slurm.sh), installed last by
# tests/slurm/install.sh, which works around their maintainer scripts in
# containers and, where they cannot be installed, leaves the test to skip. gcc brings its AddressSanitizer and
# UBSan runtimes (libasan8, libubsan1), which symbolize by themselves.
DEB_PACKAGES  := petsc-dev libhdf5-openmpi-dev openmpi-bin hdf5-tools libyaml-dev pkg-config make gcc git \
                 python3-h5py python3-numpy python3-matplotlib
TEST_PACKAGES := $(DEB_PACKAGES) paraview python3-paraview xvfb xauth clang libclang-rt-14-dev llvm \
                 slurm-wlm munge

# Quiet, fast MPI start-up for the test suite (see docs/running.md).
export OMPI_MCA_pml ?= ob1
export OMPI_MCA_btl ?= self,vader
export OMPI_MCA_ess_singleton_isolated ?= 1
export OMPI_ALLOW_RUN_AS_ROOT ?= 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM ?= 1

.PHONY: all deps test-deps run test asan bench install clean format
all: bin/ionstack

deps test-deps: PACKAGES = $(if $(filter test-deps,$@),$(TEST_PACKAGES),$(DEB_PACKAGES))
deps test-deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  base=$$(for p in $$missing; do case $$p in slurm-wlm|munge) ;; *) echo $$p ;; esac; done); \
	  slurm=$$(for p in $$missing; do case $$p in slurm-wlm|munge) echo $$p ;; esac; done); \
	  $$SUDO apt-get update -qq || exit 1; \
	  if [ -n "$$base" ]; then DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$base >/dev/null || exit 1; fi; \
	  if [ -n "$$slurm" ]; then $$SUDO sh tests/slurm/install.sh $$slurm || true; fi; \
	fi

$(BUILD)/%.o: src/%.c include/*.h src/*.h src/*/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libionstack.a: $(LIB_OBJ)
	ar rcs $@ $^

bin/ionstack: src/main.c $(BUILD)/libionstack.a | bin
	$(CC) $(CFLAGS) $< $(BUILD)/libionstack.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c tests/*.h include/*.h src/*.h src/*/*.h $(BUILD)/libionstack.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests $< $(BUILD)/libionstack.a $(LDLIBS) -o $@

$(BUILD)/bench/%: bench/%.c include/*.h src/*.h src/*/*.h $(BUILD)/libionstack.a | $(BUILD)/bench
	$(CC) $(CFLAGS) $< $(BUILD)/libionstack.a $(LDLIBS) -o $@

# The sanitized tree: the same sources and flags plus ASAN_FLAGS, linked with
# them too (the sanitizer runtimes come first in the link, as ASan requires).
$(ASAN)/%.o: src/%.c include/*.h src/*.h src/*/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN)/libionstack.a: $(ASAN_OBJ)
	ar rcs $@ $^

$(ASAN)/bin/ionstack: src/main.c $(ASAN)/libionstack.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $< $(ASAN)/libionstack.a $(LDLIBS) -o $@

$(ASAN)/tests/%: tests/%.c tests/*.h include/*.h src/*.h src/*/*.h $(ASAN)/libionstack.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -Itests $< $(ASAN)/libionstack.a $(LDLIBS) -o $@

$(BUILD) $(BUILD)/tests $(BUILD)/bench bin out:
	mkdir -p $@

run: deps
	@$(MAKE) --no-print-directory bin/ionstack
	./bin/ionstack run configs/default.yaml

# The suite runs twice, on the plain build and on the sanitized one; check
# names of the second pass start with "asan:", and the last line counts both.
test: test-deps
	@$(MAKE) --no-print-directory bin/ionstack $(TEST_BIN) $(ASAN)/bin/ionstack $(ASAN_TESTS)
	@IONSTACK_BUILD="$(BUILD) $(ASAN)" bash tests/run.sh

# The sanitized pass alone.
asan: test-deps
	@$(MAKE) --no-print-directory $(ASAN)/bin/ionstack $(ASAN_TESTS)
	@IONSTACK_BUILD="$(ASAN)" bash tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory bin/ionstack $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@bash bench/sweep.sh
	@bash bench/scaling_2d.sh

install: bin/ionstack
	install -d $(PREFIX)/bin $(PREFIX)/share/ionstack/materials $(PREFIX)/share/ionstack/postprocess $(PREFIX)/share/ionstack/slurm
	install -m 755 bin/ionstack $(PREFIX)/bin/ionstack
	install -m 755 postprocess/ionstack-plot $(PREFIX)/bin/ionstack-plot
	install -m 644 configs/materials/* $(PREFIX)/share/ionstack/materials/
	install -m 644 configs/slurm/*.sbatch $(PREFIX)/share/ionstack/slurm/
	install -m 755 configs/slurm/*.sh $(PREFIX)/share/ionstack/slurm/
	install -m 755 postprocess/*.py $(PREFIX)/share/ionstack/postprocess/

format:
	clang-format -i src/*.c src/*/*.c src/*.h src/*/*.h include/*.h tests/*.c tests/*.h bench/*.c

clean:
	rm -rf $(BUILD) bin
