/* Minimal test reporting shared by the C tests: each check prints one line,
 * PASS or FAIL, that tests/run.sh counts. A binary that crashes or exits
 * non-zero is counted as one more failure by the runner. */
#pragma once
#include <math.h>
#include <petscsys.h>
#include <stdio.h>

static int test_failures = 0;

/* Reports one check; returns its outcome so callers can print detail. */
static inline int check(int ok, const char *name, const char *fmt, double got, double want)
{
  if (ok)
    printf("PASS %s", name);
  else {
    printf("FAIL %s", name);
    test_failures++;
  }
  if (fmt) {
    printf(" (");
    printf(fmt, got, want);
    printf(")");
  }
  printf("\n");
  fflush(stdout);
  return ok;
}

/* |got - want| <= tol * |want| (relative), printed with both values. */
static inline int check_rel(const char *name, double got, double want, double tol)
{
  char   fmt[128];
  double err = fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1.0);
  snprintf(fmt, sizeof fmt, "got %%.10g, want %%.10g, rel err %.2e, tol %.1e", err, tol);
  return check(err <= tol && isfinite(got), name, fmt, got, want);
}

static inline int check_abs(const char *name, double got, double want, double tol)
{
  char   fmt[128];
  double err = fabs(got - want);
  snprintf(fmt, sizeof fmt, "got %%.10g, want %%.10g, abs err %.2e, tol %.1e", err, tol);
  return check(err <= tol && isfinite(got), name, fmt, got, want);
}

/* The message of the last PETSc error, as raised where it happened. */
static inline const char *ErrorText(PetscErrorCode ierr)
{
  const char *text     = NULL;
  char       *specific = NULL;
  PetscErrorMessage(ierr, &text, &specific);
  return specific ? specific : (text ? text : "");
}

/* Writes text to dir/name, the full name into path (PETSC_MAX_PATH_LEN). */
static inline void WriteTestFile(const char *dir, const char *name, const char *text, char *path)
{
  FILE *fp;
  if (snprintf(path, PETSC_MAX_PATH_LEN, "%s/%s", dir, name) >= PETSC_MAX_PATH_LEN) return;
  fp = fopen(path, "w");
  if (!fp) return;
  fputs(text, fp);
  fclose(fp);
}
