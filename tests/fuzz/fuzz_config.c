/* libFuzzer target of the config loader (tests/test_fuzz.sh builds and runs
 * it): each input is written to a file and loaded with ParamsLoad, once as the
 * config itself and once as the value of -protocol over an empty config, so
 * that both the file reader and the command-line YAML reader see it. Errors
 * are the expected outcome of almost every input; what must never happen is a
 * crash, a hang, undefined behaviour or a leak, which the sanitizers and
 * libFuzzer's timeouts report. It solves nothing and writes only its own
 * temporary files. */
#include "ionstack.h"
#include <sanitizer/lsan_interface.h>
#include <stdint.h>
#include <unistd.h>

static char  dir[64], config[96], empty[96];
static FILE *devnull;

static void RemoveFiles(void)
{
  unlink(config);
  unlink(empty);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  FILE *fp;

  (void)argc;
  (void)argv;
  /* libFuzzer's own flags (-max_total_time=60) are not PETSc options. What
   * PETSc and MPI allocate at start-up lives to the end of the process (this
   * target never calls PetscFinalize), so it is not counted as a leak; the
   * inputs' allocations all are. */
  __lsan_disable();
  if (PetscInitializeNoArguments()) return 1;
  __lsan_enable();
  if (PetscPushErrorHandler(PetscReturnErrorHandler, NULL)) return 1;
  snprintf(dir, sizeof dir, "/tmp/ionstack_fuzz_XXXXXX");
  if (!mkdtemp(dir)) return 1;
  snprintf(config, sizeof config, "%s/input.yaml", dir);
  snprintf(empty, sizeof empty, "%s/empty.yaml", dir);
  if (!(fp = fopen(empty, "w"))) return 1;
  fclose(fp);
  atexit(RemoveFiles);
  devnull = fopen("/dev/null", "w");
  return devnull ? 0 : 1;
}

static void Load(const char *file, PetscInt n, char **keys, char **values)
{
  Params p;

  if (!ParamsLoad(PETSC_COMM_SELF, file, n, keys, values, &p)) {
    ParamsView(&p, devnull);
    ParamsDestroy(&p);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  FILE *fp = fopen(config, "wb");
  char *text, *key = (char *)"protocol";

  if (!fp) return 0;
  if (size) fwrite(data, 1, size, fp);
  fclose(fp);
  Load(config, 0, NULL, NULL);

  /* A command-line value is a C string: it ends at the first zero byte. */
  text = (char *)malloc(size + 1);
  if (!text) return 0;
  if (size) memcpy(text, data, size);
  text[size] = 0;
  Load(empty, 1, &key, &text);
  free(text);
  return 0;
}
