/* Output layer test (src/output/output.c).
 *
 * With no arguments it checks itself: writes a small run (6 cells, 3 output
 * times, 50 samples, 2 protocol steps, 3 metrics) into a fresh temporary
 * directory, reads it back with the HDF5 C API and prints PASS/FAIL lines; it
 * also closes a run that never wrote a field, a run that was interrupted,
 * and checks the rules for names: an output name that is an input, collides
 * with a sidecar, is read-only, a directory or a FIFO is refused before
 * anything is created, and a symbolic link planted at any name the run
 * writes is never followed. Write errors come from RLIMIT_FSIZE (EFBIG), which
 * needs no privileges: the output must fail with PETSC_ERR_FILE_WRITE and one
 * message, and OutputClose must then keep and mark what was written.
 *
 * Driven by tests/test_output.sh and tests/test_crash.sh it only writes and
 * prints no PASS lines:
 *   test_output DIR [ARGS]  writes DIR/run.h5 (+ .xmf, .csv) and exits 0; the
 *                           arguments are recorded in /provenance/command_line
 *   test_output DIR kill    writes one output time, then _exit(0)s without closing
 *   test_output DIR fill    writes output times of a 2000-cell field until a
 *                           write fails, closes the output as failed as a
 *                           caller must, prints one line per rank
 *                           ("rank R: write error CODE after K output times:
 *                           MESSAGE", then "rank R: closed CODE: MESSAGE")
 *                           and exits 4
 * The scripts then check the files with h5dump, h5py, XML, sh and the plot
 * scripts. The expected values are the formulas in Sample() and
 * FieldValue(); the scripts repeat them. */
#include <errno.h>
#include <hdf5.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ionstack.h"
#include "testing.h"

#define NCELLS 6
#define NSAMPLES 50

static const PetscReal x_faces[NCELLS + 1] = {0, 2e-6, 5e-6, 9e-6, 14e-6, 20e-6, 27e-6};
static const PetscInt  phases[NCELLS]      = {1, 2, 2, 2, 2, 3};
static const PetscInt  output_at[3]        = {0, 25, 49}; /* samples after which fields are written */

static void Sample(PetscInt i, OutputSample *s)
{
  s->time          = 10.0 * i;
  s->voltage       = 4.2 - 0.01 * i;
  s->current       = 10.0;
  s->capacity      = 100.0 * i; /* 10 A/m^2 for 10 s per sample, C/m^2 */
  s->energy        = 400.0 * i;
  s->step          = i;
  s->protocol_step = i < 25 ? 0 : 1;
}

/* Value j of field f at output time k. */
static PetscReal FieldValue(PetscInt f, PetscInt k, PetscInt j)
{
  switch (f) {
  case 0:
    return 1000.0 + 10.0 * k + j; /* electrolyte_concentration */
  case 1:
    return -0.001 * (k + 1) * j; /* electrolyte_potential */
  default:
    return (j ? -10.0 : 10.0) * (k + 1); /* interface_current_density, 2 values */
  }
}

static PetscErrorCode WriteRun(MPI_Comm comm, const char *path, PetscBool kill, int argc, char **argv)
{
  Params      *p;
  OutputMesh   mesh = {0};
  Output       out;
  PetscReal    x_centres[NCELLS], conc[NCELLS], pot[NCELLS], iface[2];
  OutputField  fields[3];
  OutputSample s;
  PetscMPIInt  rank;
  PetscInt     k = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscNew(&p));
  PetscCall(PetscStrncpy(p->config_file, "configs/test.yaml", sizeof p->config_file));
  p->resolved_yaml = (char *)"cell:\n  temperature: 298.15\n";
  for (PetscInt j = 0; j < NCELLS; j++)
    x_centres[j] = 0.5 * (x_faces[j] + x_faces[j + 1]);
  mesh.ncells    = NCELLS;
  mesh.x_faces   = (PetscReal *)x_faces;
  mesh.x_centres = x_centres;
  mesh.phase     = (PetscInt *)phases;
  PetscCall(OutputCreate(comm, path, p, argc, argv, &mesh, &out));

  fields[0] = (OutputField){"electrolyte_concentration", "mol/m^3", 0, rank ? NULL : conc};
  fields[1] = (OutputField){"electrolyte_potential", "V", 0, rank ? NULL : pot};
  fields[2] = (OutputField){"interface_current_density", "A/m^2", 2, rank ? NULL : iface};
  for (PetscInt i = 0; i < NSAMPLES; i++) {
    Sample(i, &s);
    PetscCall(OutputAppendSample(out, &s));
    if (i == 24) PetscCall(OutputWriteStepEnd(out, 0, "discharge at 1C until 3.0 V", s.time, "cutoff voltage 3 V", 9000.0, 33300.0, 3.7));
    if (k < 3 && i == output_at[k]) {
      for (PetscInt j = 0; j < NCELLS; j++)
        conc[j] = FieldValue(0, k, j);
      for (PetscInt j = 0; j < NCELLS; j++)
        pot[j] = FieldValue(1, k, j);
      for (PetscInt j = 0; j < 2; j++)
        iface[j] = FieldValue(2, k, j);
      PetscCall(OutputWriteFields(out, s.time, 3, fields));
      k++;
      if (kill) _exit(0); /* a killed run: no OutputClose */
    }
  }
  PetscCall(OutputWriteStepEnd(out, 1, "rest for 10 min", s.time, "duration", 0.0, 0.0, 3.9));
  PetscCall(OutputWriteMetric(out, "delivered_capacity", s.capacity / 36000.0, "mAh/cm^2"));
  PetscCall(OutputWriteMetric(out, "mean_voltage", 3.955, "V"));
  PetscCall(OutputWriteMetricInt(out, "time_steps", NSAMPLES - 1, "1"));
  PetscCall(OutputClose(&out, "protocol complete", OUTPUT_COMPLETE));
  PetscCheck(!out, comm, PETSC_ERR_PLIB, "OutputClose did not clear the handle");
  PetscCall(PetscFree(p));
  PetscFunctionReturn(0);
}

/* ---- reading back (self-check mode); each returns 0 on success ---- */

static int Exists(const char *path)
{
  return access(path, F_OK) == 0;
}

/* Reads up to max doubles of a dataset; dims[0..1] get its shape (dims[1] = 1 for 1D). */
static int ReadDoubles(hid_t file, const char *path, double *buf, size_t max, hsize_t dims[2])
{
  hid_t d, space;
  int   rank, ok;

  dims[0] = dims[1] = 1;
  if ((d = H5Dopen2(file, path, H5P_DEFAULT)) < 0) return -1;
  space = H5Dget_space(d);
  rank  = H5Sget_simple_extent_ndims(space);
  ok    = rank >= 0 && rank <= 2 && H5Sget_simple_extent_dims(space, dims, NULL) >= 0 && dims[0] * (rank == 2 ? dims[1] : 1) <= max;
  if (rank < 2) dims[1] = 1;
  if (rank == 0) dims[0] = 1;
  ok = ok && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
  H5Sclose(space);
  H5Dclose(d);
  return ok ? 0 : -1;
}

/* Text datasets are fixed-size UTF-8 strings (docs/output.md); a
 * variable-length one is read too, so the check says what it found. */
static int ReadText(hid_t file, const char *path, char *buf, size_t len)
{
  hid_t  d, ft, t;
  char  *s = NULL;
  int    ok;
  size_t n;

  if ((d = H5Dopen2(file, path, H5P_DEFAULT)) < 0) return -1;
  ft = H5Dget_type(d);
  if (H5Tis_variable_str(ft) > 0) {
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    ok = H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) >= 0 && s;
    if (ok) snprintf(buf, len, "%s", s);
    if (s) H5free_memory(s);
  } else {
    n  = H5Tget_size(ft);
    t  = H5Tcopy(ft);
    s  = calloc(n + 1, 1);
    ok = s && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0;
    if (ok) snprintf(buf, len, "%s", s);
    free(s);
  }
  H5Tclose(t);
  H5Tclose(ft);
  H5Dclose(d);
  return ok ? 0 : -1;
}

static int ReadUnits(hid_t file, const char *path, char *buf, size_t len)
{
  hid_t d, a, t;
  char *s = NULL;
  int   ok;

  buf[0] = '\0';
  if ((d = H5Oopen(file, path, H5P_DEFAULT)) < 0) return -1;
  if ((a = H5Aopen(d, "units", H5P_DEFAULT)) < 0) {
    H5Oclose(d);
    return -1;
  }
  t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  ok = H5Aread(a, t, &s) >= 0 && s;
  if (ok) snprintf(buf, len, "%s", s);
  if (s) H5free_memory(s);
  H5Tclose(t);
  H5Aclose(a);
  H5Oclose(d);
  return ok ? 0 : -1;
}

static void CheckUnits(hid_t file, const char *path, const char *want)
{
  char got[64], name[128];

  snprintf(name, sizeof name, "units_of_%s", path);
  if (!check(ReadUnits(file, path, got, sizeof got) == 0 && !strcmp(got, want), name, NULL, 0, 0)) printf("  got \"%s\", want \"%s\"\n", got, want);
}

static void CheckText(hid_t file, const char *path, const char *want, const char *label)
{
  char got[256], name[128];

  snprintf(name, sizeof name, "%stext_of_%s", label, path);
  if (!check(ReadText(file, path, got, sizeof got) == 0 && !strcmp(got, want), name, NULL, 0, 0)) printf("  got \"%s\", want \"%s\"\n", got, want);
}

static int CountLines(const char *path)
{
  FILE *fp = fopen(path, "r");
  int   n  = 0, c;

  if (!fp) return -1;
  while ((c = fgetc(fp)) != EOF)
    n += c == '\n';
  fclose(fp);
  return n;
}

static void CheckFullRun(const char *dir)
{
  char    path[PETSC_MAX_PATH_LEN], text[256];
  double  buf[NSAMPLES * NCELLS];
  hsize_t dims[2];
  hid_t   file;
  int     ok;

  snprintf(path, sizeof path, "%s/sub/run.h5.part", dir);
  check(!Exists(path), "no_part_after_close", NULL, 0, 0);
  snprintf(path, sizeof path, "%s/sub/run.xmf", dir);
  check(Exists(path), "xmf_written", NULL, 0, 0);
  snprintf(path, sizeof path, "%s/sub/run.csv", dir);
  check(CountLines(path) == NSAMPLES + 1, "csv_has_header_and_one_row_per_sample", "%g lines, want %g", CountLines(path), NSAMPLES + 1);
  snprintf(path, sizeof path, "%s/sub/run.h5", dir);
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (!check(file >= 0, "h5_opens", NULL, 0, 0)) return;

  CheckText(file, "/provenance/status", "complete", "");
  CheckText(file, "/provenance/exit_reason", "protocol complete", "");
  CheckText(file, "/provenance/ionstack_version", IONSTACK_VERSION, "");
  CheckText(file, "/provenance/config_file", "configs/test.yaml", "");
  CheckText(file, "/provenance/config", "cell:\n  temperature: 298.15\n", "");
  ok = ReadText(file, "/provenance/start_time", text, sizeof text) == 0 && strlen(text) == 20 && text[10] == 'T' && text[19] == 'Z';
  check(ok, "start_time_is_iso8601_utc", NULL, 0, 0);
  ok = ReadText(file, "/provenance/end_time", text, sizeof text) == 0 && strlen(text) == 20;
  check(ok, "end_time_set", NULL, 0, 0);
  ok = ReadText(file, "/provenance/hdf5_version", text, sizeof text) == 0 && !strncmp(text, "1.", 2);
  check(ok, "hdf5_version_recorded", NULL, 0, 0);

  ok = ReadDoubles(file, "/mesh/x_faces", buf, NCELLS + 1, dims) == 0 && dims[0] == NCELLS + 1;
  check_rel("mesh_last_face", ok ? buf[NCELLS] : -1, x_faces[NCELLS], 1e-15);
  ok = ReadDoubles(file, "/mesh/phase", buf, NCELLS, dims) == 0 && dims[0] == NCELLS;
  check_abs("mesh_phase_of_last_cell", ok ? buf[NCELLS - 1] : -1, 3, 0);
  CheckUnits(file, "/mesh/x_faces", "m");
  CheckUnits(file, "/mesh/x_centres", "m");

  ok = ReadDoubles(file, "/fields/time", buf, 3, dims) == 0;
  check_abs("three_output_times", ok ? (double)dims[0] : -1, 3, 0);
  check_abs("last_output_time", ok ? buf[2] : -1, 490, 0);
  CheckUnits(file, "/fields/time", "s");
  ok = ReadDoubles(file, "/fields/electrolyte_concentration", buf, 3 * NCELLS, dims) == 0 && dims[0] == 3 && dims[1] == NCELLS;
  check(ok, "concentration_shape_3_by_ncells", NULL, 0, 0);
  check_abs("concentration_row2_cell5", ok ? buf[2 * NCELLS + 5] : -1, FieldValue(0, 2, 5), 0);
  CheckUnits(file, "/fields/electrolyte_concentration", "mol/m^3");
  ok = ReadDoubles(file, "/fields/interface_current_density", buf, 6, dims) == 0 && dims[0] == 3 && dims[1] == 2;
  check(ok, "interface_field_shape_3_by_2", NULL, 0, 0);
  check_abs("interface_field_row1_value1", ok ? buf[3] : -1, FieldValue(2, 1, 1), 0);

  ok = ReadDoubles(file, "/timeseries/voltage", buf, NSAMPLES, dims) == 0;
  check_abs("fifty_samples", ok ? (double)dims[0] : -1, NSAMPLES, 0);
  check_rel("voltage_of_sample_37", ok ? buf[37] : -1, 4.2 - 0.37, 1e-15);
  ok = ReadDoubles(file, "/timeseries/capacity_mAh_per_cm2", buf, NSAMPLES, dims) == 0 && dims[0] == NSAMPLES;
  check_rel("capacity_in_mAh_per_cm2", ok ? buf[NSAMPLES - 1] : -1, 4900.0 / 36000.0, 1e-14);
  ok = ReadDoubles(file, "/timeseries/protocol_step", buf, NSAMPLES, dims) == 0 && dims[0] == NSAMPLES;
  check_abs("protocol_step_of_sample_30", ok ? buf[30] : -1, 1, 0);
  CheckUnits(file, "/timeseries/current", "A/m^2");
  CheckUnits(file, "/timeseries/capacity", "C/m^2");
  CheckUnits(file, "/timeseries/energy", "J/m^2");

  ok = ReadDoubles(file, "/protocol/end_time", buf, 2, dims) == 0 && dims[0] == 2;
  check_abs("second_step_ended_at", ok ? buf[1] : -1, 490, 0);
  ok = ReadDoubles(file, "/metrics/mean_voltage", buf, 1, dims) == 0;
  check_abs("metric_value", ok ? buf[0] : -1, 3.955, 0);
  CheckUnits(file, "/metrics/delivered_capacity", "mAh/cm^2");
  {
    hid_t     d = H5Dopen2(file, "/metrics/time_steps", H5P_DEFAULT), t = d >= 0 ? H5Dget_type(d) : -1;
    long long v = -1;
    ok          = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == 8 && H5Tget_sign(t) == H5T_SGN_2 &&
         H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0;
    check(ok && v == NSAMPLES - 1, "integer_metric_is_int64", "got %g, want %g", (double)v, NSAMPLES - 1);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    CheckUnits(file, "/metrics/time_steps", "1");
  }
  H5Fclose(file);
}

/* A run closed as failed before any field was written. */
static PetscErrorCode CheckEmptyRun(const char *dir)
{
  char       path[PETSC_MAX_PATH_LEN];
  OutputMesh mesh;
  Output     out;
  PetscReal  x_centres[NCELLS];
  hid_t      file;

  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < NCELLS; j++)
    x_centres[j] = 0.5 * (x_faces[j] + x_faces[j + 1]);
  mesh = (OutputMesh){.ncells = NCELLS, .x_faces = (PetscReal *)x_faces, .x_centres = x_centres, .phase = (PetscInt *)phases};
  snprintf(path, sizeof path, "%s/empty.h5", dir);
  PetscCall(OutputCreate(PETSC_COMM_WORLD, path, NULL, 0, NULL, &mesh, &out));
  PetscCall(OutputClose(&out, "diverged before the first output", OUTPUT_FAILED));
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (check(file >= 0, "empty_run_renamed", NULL, 0, 0)) {
    CheckText(file, "/provenance/status", "failed", "empty_run_");
    H5Fclose(file);
  }
  snprintf(path, sizeof path, "%s/empty.xmf", dir);
  check(Exists(path), "empty_run_xmf", NULL, 0, 0);
  snprintf(path, sizeof path, "%s/empty.csv", dir);
  check(CountLines(path) == 1, "empty_run_csv_header_only", NULL, 0, 0);
  PetscFunctionReturn(0);
}

/* ---- names, links and write errors ---- */

static void TestMesh(OutputMesh *mesh, PetscReal *x_centres)
{
  for (PetscInt j = 0; j < NCELLS; j++)
    x_centres[j] = 0.5 * (x_faces[j] + x_faces[j + 1]);
  *mesh = (OutputMesh){.ncells = NCELLS, .x_faces = (PetscReal *)x_faces, .x_centres = x_centres, .phase = (PetscInt *)phases};
}

static int WriteFile(const char *path, const char *text)
{
  FILE *fp = fopen(path, "w");

  if (!fp) return -1;
  fputs(text, fp);
  return fclose(fp);
}

/* 1 if path holds exactly text. */
static int HoldsText(const char *path, const char *text)
{
  char   buf[256] = "";
  FILE  *fp       = fopen(path, "r");
  size_t n;

  if (!fp) return 0;
  n      = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  return !strcmp(buf, text);
}

static int IsRegular(const char *path)
{
  struct stat st;
  return !lstat(path, &st) && S_ISREG(st.st_mode);
}

/* OutputCreate that must fail: its error code and message; an output that
 * was created after all is closed. */
static PetscErrorCode TryCreate(const char *path, const Params *p, PetscErrorCode *ierr, char *msg, size_t len)
{
  OutputMesh mesh;
  PetscReal  x_centres[NCELLS];
  Output     out = NULL;

  PetscFunctionBeginUser;
  TestMesh(&mesh, x_centres);
  msg[0] = '\0';
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = OutputCreate(PETSC_COMM_WORLD, path, p, 0, NULL, &mesh, &out);
  PetscCall(PetscPopErrorHandler());
  if (*ierr) {
    snprintf(msg, len, "%s", ErrorText(*ierr));
  } else
    PetscCall(OutputClose(&out, "created although it should not be", OUTPUT_FAILED));
  PetscFunctionReturn(0);
}

/* A refusal: code PETSC_ERR_USER_INPUT, a message with want in it, and none of
 * the names of path created. */
static PetscErrorCode CheckRefused(const char *name, const char *path, const Params *p, const char *want)
{
  PetscErrorCode ierr = 0;
  char           msg[1024], other[PETSC_MAX_PATH_LEN + 16];
  const char    *sfx[] = {".part", ".xmf", ".xmf.part", ".csv", ".csv.part"};
  char           base[PETSC_MAX_PATH_LEN];
  char          *dot;
  int            created = 0, before[5];

  PetscFunctionBeginUser;
  snprintf(base, sizeof base, "%s", path);
  dot = strrchr(base, '.');
  if (dot && dot > strrchr(base, '/')) *dot = '\0';
  for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
    snprintf(other, sizeof other, "%s%s", i ? base : path, sfx[i]);
    before[i] = Exists(other);
  }
  PetscCall(TryCreate(path, p, &ierr, msg, sizeof msg));
  for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
    snprintf(other, sizeof other, "%s%s", i ? base : path, sfx[i]);
    if (strcmp(other, path) && Exists(other) && !before[i]) created++;
  }
  if (!check(ierr == PETSC_ERR_USER_INPUT && strstr(msg, want) && !created, name, NULL, 0, 0))
    printf("  error %d, %d names created, message \"%s\" (want \"%s\")\n", (int)ierr, created, msg, want);
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckRefusals(const char *dir)
{
  char        path[PETSC_MAX_PATH_LEN], other[PETSC_MAX_PATH_LEN];
  Params      p;
  char       *inputs[2];
  struct stat st;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&p, sizeof p));

  snprintf(path, sizeof path, "%s/ro.h5", dir); /* read-only: even root must not replace it */
  WriteFile(path, "precious");
  chmod(path, 0444);
  PetscCall(CheckRefused("refuse_read_only_output", path, NULL, "read-only"));
  check(HoldsText(path, "precious") && !stat(path, &st) && (st.st_mode & 0777) == 0444, "read_only_output_untouched", NULL, 0, 0);
  snprintf(other, sizeof other, "%s/ro2.xmf", dir);
  WriteFile(other, "precious");
  chmod(other, 0444);
  snprintf(path, sizeof path, "%s/ro2.h5", dir);
  PetscCall(CheckRefused("refuse_read_only_sidecar", path, NULL, "read-only"));
  check(HoldsText(other, "precious"), "read_only_sidecar_untouched", NULL, 0, 0);

  snprintf(path, sizeof path, "%s/d.h5", dir);
  mkdir(path, 0777);
  PetscCall(CheckRefused("refuse_directory_output", path, NULL, "is a directory"));
  snprintf(path, sizeof path, "%s/sub/", dir);
  PetscCall(CheckRefused("refuse_name_ending_in_slash", path, NULL, "names a directory"));
  snprintf(path, sizeof path, "%s/fifo.h5", dir);
  mkfifo(path, 0666);
  PetscCall(CheckRefused("refuse_fifo_output", path, NULL, "not a regular file"));

  snprintf(path, sizeof path, "%s/y.xmf", dir); /* the XDMF sidecar would be the output file itself */
  PetscCall(CheckRefused("refuse_xmf_output_name", path, NULL, "collides"));
  check(!Exists(path), "xmf_output_name_creates_nothing", NULL, 0, 0);
  snprintf(path, sizeof path, "%s/x.csv", dir);
  PetscCall(CheckRefused("refuse_csv_output_name", path, NULL, "collides"));
  check(!Exists(path), "csv_output_name_creates_nothing", NULL, 0, 0);

  /* inputs: by name, by inode (a hard link), through a link, and a sidecar
   * that would overwrite an input table */
  snprintf(other, sizeof other, "%s/cfg.yaml", dir);
  WriteFile(other, "output: {file: cfg.yaml}\n");
  inputs[0] = other;
  snprintf(path, sizeof path, "%s/ocp.csv", dir);
  WriteFile(path, "0.1,4.2\n");
  inputs[1] = path;
  p.ninputs = 2;
  p.inputs  = inputs;
  PetscCall(CheckRefused("refuse_input_as_output", other, &p, "an input"));
  {
    char hard[PETSC_MAX_PATH_LEN], soft[PETSC_MAX_PATH_LEN], ocp[PETSC_MAX_PATH_LEN];
    snprintf(hard, sizeof hard, "%s/hard.h5", dir);
    link(other, hard);
    PetscCall(CheckRefused("refuse_hard_link_to_input", hard, &p, "an input"));
    snprintf(soft, sizeof soft, "%s/soft.h5", dir);
    symlink("cfg.yaml", soft);
    PetscCall(CheckRefused("refuse_symbolic_link_to_input", soft, &p, "an input"));
    snprintf(ocp, sizeof ocp, "%s/ocp.h5", dir);
    PetscCall(CheckRefused("refuse_sidecar_over_input", ocp, &p, "an input"));
  }
  check(HoldsText(other, "output: {file: cfg.yaml}\n") && HoldsText(path, "0.1,4.2\n"), "inputs_untouched", NULL, 0, 0);
  PetscFunctionReturn(0);
}

/* A symbolic link planted at each name a run writes, before it starts and
 * while it runs: the run must complete, its files must be regular files, and
 * the links' targets must be what they were (dangling ones still dangling). */
static PetscErrorCode CheckLinks(const char *dir)
{
  const char *planted[] = {".h5.part", ".xmf.part", ".csv.part", ".h5", ".xmf", ".csv"};
  char        path[PETSC_MAX_PATH_LEN], name[PETSC_MAX_PATH_LEN + 16], victim[PETSC_MAX_PATH_LEN + 16], what[64];

  PetscFunctionBeginUser;
  for (size_t i = 0; i < sizeof planted / sizeof planted[0]; i++) {
    snprintf(victim, sizeof victim, "%s/victim%zu", dir, i);
    WriteFile(victim, "untouched");
    snprintf(name, sizeof name, "%s/l%zu%s", dir, i, planted[i]);
    symlink(victim, name);
    snprintf(path, sizeof path, "%s/l%zu.h5", dir, i);
    PetscCall(WriteRun(PETSC_COMM_WORLD, path, PETSC_FALSE, 0, NULL));
    snprintf(what, sizeof what, "link_at_%s_not_followed", planted[i] + 1);
    check(HoldsText(victim, "untouched") && (i < 3 ? !Exists(name) : IsRegular(name)), what, NULL, 0, 0);
  }
  /* a dangling link at the .part: O_EXCL would fail, O_CREAT alone would create its target */
  snprintf(victim, sizeof victim, "%s/ghost", dir);
  snprintf(name, sizeof name, "%s/g.h5.part", dir);
  symlink(victim, name);
  snprintf(path, sizeof path, "%s/g.h5", dir);
  PetscCall(WriteRun(PETSC_COMM_WORLD, path, PETSC_FALSE, 0, NULL));
  check(!Exists(victim) && IsRegular(path), "dangling_link_at_part_not_followed", NULL, 0, 0);

  /* links planted during the run, at the sidecars' temporary names */
  {
    OutputMesh  mesh;
    PetscReal   x_centres[NCELLS], conc[NCELLS];
    OutputField f = {"electrolyte_concentration", "mol/m^3", 0, conc};
    Output      out;
    char        v1[PETSC_MAX_PATH_LEN + 16], v2[PETSC_MAX_PATH_LEN + 16], l1[PETSC_MAX_PATH_LEN + 16], l2[PETSC_MAX_PATH_LEN + 16];

    TestMesh(&mesh, x_centres);
    for (PetscInt j = 0; j < NCELLS; j++)
      conc[j] = 1000;
    snprintf(path, sizeof path, "%s/during.h5", dir);
    snprintf(v1, sizeof v1, "%s/victim_xmf", dir);
    snprintf(v2, sizeof v2, "%s/victim_csv", dir);
    snprintf(l1, sizeof l1, "%s/during.xmf.part", dir);
    snprintf(l2, sizeof l2, "%s/during.csv.part", dir);
    WriteFile(v1, "untouched");
    WriteFile(v2, "untouched");
    PetscCall(OutputCreate(PETSC_COMM_WORLD, path, NULL, 0, NULL, &mesh, &out));
    PetscCall(OutputWriteFields(out, 0.0, 1, &f));
    symlink(v1, l1);
    symlink(v2, l2);
    PetscCall(OutputClose(&out, "protocol complete", OUTPUT_COMPLETE));
    snprintf(name, sizeof name, "%s/during.xmf", dir);
    snprintf(victim, sizeof victim, "%s/during.csv", dir);
    check(HoldsText(v1, "untouched") && HoldsText(v2, "untouched") && IsRegular(name) && IsRegular(victim) && !Exists(l1) && !Exists(l2),
          "links_planted_during_the_run_not_followed", NULL, 0, 0);
  }
  PetscFunctionReturn(0);
}

/* /provenance/command_line parses back in sh into the same arguments; the
 * exact quoting is POSIX single quotes where a character needs them. */
static PetscErrorCode CheckCommandLine(const char *dir)
{
  char        path[PETSC_MAX_PATH_LEN], got[512];
  char       *argv[] = {(char *)"ionstack", (char *)"run",   (char *)"a b",
                        (char *)"it's",     (char *)"$HOME", (char *)"",
                        (char *)"x\"y",     (char *)"-k=v",  (char *)"plain/arg_1.5,@%+:"};
  const char *want   = "ionstack run 'a b' 'it'\\''s' '$HOME' '' 'x\"y' '-k=v' plain/arg_1.5,@%+:";
  hid_t       file;

  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "%s/quote.h5", dir);
  PetscCall(WriteRun(PETSC_COMM_WORLD, path, PETSC_FALSE, (int)(sizeof argv / sizeof argv[0]), argv));
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (!check(file >= 0 && ReadText(file, "/provenance/command_line", got, sizeof got) == 0 && !strcmp(got, want), "command_line_shell_quoted", NULL,
             0, 0))
    printf("  got  %s\n  want %s\n", got, want);
  if (file >= 0) H5Fclose(file);
  PetscFunctionReturn(0);
}

/* Closed as interrupted: final name, status interrupted, every output time. */
static PetscErrorCode CheckInterrupted(const char *dir)
{
  char        path[PETSC_MAX_PATH_LEN];
  OutputMesh  mesh;
  PetscReal   x_centres[NCELLS], conc[NCELLS], buf[4];
  OutputField f = {"electrolyte_concentration", "mol/m^3", 0, conc};
  Output      out;
  hsize_t     dims[2];
  hid_t       file;

  PetscFunctionBeginUser;
  TestMesh(&mesh, x_centres);
  snprintf(path, sizeof path, "%s/int.h5", dir);
  PetscCall(OutputCreate(PETSC_COMM_WORLD, path, NULL, 0, NULL, &mesh, &out));
  for (PetscInt k = 0; k < 3; k++) {
    for (PetscInt j = 0; j < NCELLS; j++)
      conc[j] = FieldValue(0, k, j);
    PetscCall(OutputWriteFields(out, 10.0 * k, 1, &f));
  }
  PetscCall(OutputClose(&out, "interrupted by signal 15", OUTPUT_INTERRUPTED));
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (check(file >= 0, "interrupted_run_renamed", NULL, 0, 0)) {
    CheckText(file, "/provenance/status", "interrupted", "interrupted_run_");
    check(ReadDoubles(file, "/fields/time", buf, 4, dims) == 0 && dims[0] == 3 && buf[2] == 20.0, "interrupted_run_keeps_output_times", NULL, 0, 0);
    H5Fclose(file);
  }
  PetscFunctionReturn(0);
}

/* Writes output times of a field of n values until a write fails or kmax
 * times are written; *k gets the number written, *ierr and msg the failure. */
static PetscErrorCode FillUntilError(MPI_Comm comm, const char *path, PetscInt n, PetscInt kmax, Output *out, PetscInt *k, PetscErrorCode *ierr,
                                     char *msg, size_t len)
{
  OutputMesh   mesh;
  PetscReal   *x, *xc, *values;
  PetscInt    *ph;
  OutputField  f = {"electrolyte_concentration", "mol/m^3", 0, NULL};
  OutputSample s;
  PetscMPIInt  rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMalloc4(n + 1, &x, n, &xc, n, &values, n, &ph));
  for (PetscInt j = 0; j <= n; j++)
    x[j] = 1e-6 * j;
  for (PetscInt j = 0; j < n; j++)
    xc[j] = 1e-6 * (j + 0.5), ph[j] = 2;
  mesh     = (OutputMesh){.ncells = n, .x_faces = x, .x_centres = xc, .phase = ph};
  f.values = rank ? NULL : values;
  *k       = 0;
  msg[0]   = '\0';
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = OutputCreate(comm, path, NULL, 0, NULL, &mesh, out);
  for (; !*ierr && *k < kmax; (*k)++) {
    for (PetscInt j = 0; j < n; j++)
      values[j] = 1000.0 + *k + 1e-3 * j;
    Sample(*k, &s);
    *ierr = OutputAppendSample(*out, &s);
    if (!*ierr) *ierr = OutputWriteFields(*out, s.time, 1, &f);
    if (*ierr) break;
  }
  PetscCall(PetscPopErrorHandler());
  if (*ierr) {
    snprintf(msg, len, "%s", ErrorText(*ierr));
  }
  PetscCall(PetscFree4(x, xc, values, ph));
  PetscFunctionReturn(0);
}

/* The contract after a write error, on a file that is not over its limit any
 * more: closed under its final name, status failed, the caller's reason, k
 * output times each with its row, time series at least as long as their time. */
static void CheckFailedFile(const char *path, PetscInt k, PetscInt n, const char *reason, const char *label)
{
  char    name[128], part[PETSC_MAX_PATH_LEN + 8], got[1024];
  double *buf = malloc(sizeof(double) * (size_t)(k + 1) * (size_t)n);
  hsize_t dims[2], rows[2];
  hid_t   file;
  int     ok;

  snprintf(part, sizeof part, "%s.part", path);
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  snprintf(name, sizeof name, "%s_file_closed_under_final_name", label);
  check(file >= 0 && !Exists(part), name, NULL, 0, 0);
  if (file < 0 || !buf) {
    free(buf);
    return;
  }
  snprintf(name, sizeof name, "%s_", label);
  CheckText(file, "/provenance/status", "failed", name);
  snprintf(name, sizeof name, "%s_exit_reason_is_the_callers", label);
  ok = ReadText(file, "/provenance/exit_reason", got, sizeof got) == 0 && !strncmp(got, reason, 200);
  check(ok, name, NULL, 0, 0);
  ok = ReadDoubles(file, "/fields/time", buf, (size_t)k + 1, dims) == 0;
  snprintf(name, sizeof name, "%s_keeps_every_output_time_before_the_error", label);
  check(ok && dims[0] == (hsize_t)k, name, "%g output times, want %g", ok ? (double)dims[0] : -1, (double)k);
  /* the first k rows hold what was written: 1000 + k + j/1000, exactly */
  {
    hid_t   d = H5Dopen2(file, "/fields/electrolyte_concentration", H5P_DEFAULT), fs = d >= 0 ? H5Dget_space(d) : -1, ms;
    hsize_t start[2] = {0, 0}, count[2] = {(hsize_t)k, (hsize_t)n};
    int     good = fs >= 0 && H5Sget_simple_extent_dims(fs, rows, NULL) == 2 && rows[0] >= (hsize_t)k;
    if (good && k) {
      ms   = H5Screate_simple(2, count, NULL);
      good = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 && H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) >= 0;
      for (PetscInt r = 0; good && r < k; r++)
        for (PetscInt j = 0; good && j < n; j++)
          good = buf[r * n + j] == 1000.0 + r + 1e-3 * j;
      H5Sclose(ms);
    }
    snprintf(name, sizeof name, "%s_rows_of_every_output_time_intact", label);
    check(good, name, NULL, 0, 0);
    if (fs >= 0) H5Sclose(fs);
    if (d >= 0) H5Dclose(d);
  }
  ok = ReadDoubles(file, "/timeseries/time", buf, (size_t)k + 1, dims) == 0 && dims[0] >= (hsize_t)k;
  if (ok) {
    const hsize_t nt = dims[0];
    ok               = ReadDoubles(file, "/timeseries/voltage", buf, (size_t)k + 1, dims) == 0 && dims[0] >= nt;
  }
  snprintf(name, sizeof name, "%s_time_series_consistent", label);
  check(ok, name, NULL, 0, 0);
  H5Fclose(file);
  free(buf);
}

/* Write errors through RLIMIT_FSIZE: past the limit write() and fallocate()
 * fail with EFBIG (SIGXFSZ is ignored), as on a full disk or quota. */
static PetscErrorCode CheckWriteErrors(const char *dir)
{
  struct rlimit  old, lim;
  char           path[PETSC_MAX_PATH_LEN], msg[1024], closing[PETSC_MAX_PATH_LEN + 16];
  Output         out = NULL;
  PetscInt       k;
  PetscErrorCode ierr, cerr;
  void (*handler)(int) = signal(SIGXFSZ, SIG_IGN);

  PetscFunctionBeginUser;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;

  /* the first output time does not fit: nothing may be left */
  snprintf(path, sizeof path, "%s/tiny.h5", dir);
  lim.rlim_cur = 8192;
  setrlimit(RLIMIT_FSIZE, &lim);
  PetscCall(FillUntilError(PETSC_COMM_WORLD, path, 1000, 5, &out, &k, &ierr, msg, sizeof msg));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  cerr = OutputClose(&out, msg, OUTPUT_FAILED);
  PetscCall(PetscPopErrorHandler());
  setrlimit(RLIMIT_FSIZE, &old);
  {
    snprintf(closing, sizeof closing, "%s", ErrorText(cerr));
  }
  if (!check(ierr == PETSC_ERR_FILE_WRITE && k == 0 && strstr(msg, "tiny.h5.part") && strstr(msg, strerror(EFBIG)),
             "write_error_at_first_output_time", NULL, 0, 0))
    printf("  error %d after %d output times: %s\n", (int)ierr, (int)k, msg);
  if (!check(cerr == PETSC_ERR_FILE_WRITE && strstr(closing, "No output file was written") && !out,
             "close_after_first_write_error_says_nothing_was_written", NULL, 0, 0))
    printf("  close: %d: %s\n", (int)cerr, closing);
  snprintf(closing, sizeof closing, "%s.part", path);
  check(!Exists(path) && !Exists(closing), "nothing_left_after_first_write_error", NULL, 0, 0);

  /* a run that meets the limit after some output times */
  snprintf(path, sizeof path, "%s/limit.h5", dir);
  lim.rlim_cur = 600 * 1024;
  setrlimit(RLIMIT_FSIZE, &lim);
  PetscCall(FillUntilError(PETSC_COMM_WORLD, path, 1000, 100000, &out, &k, &ierr, msg, sizeof msg));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  cerr = OutputClose(&out, msg, OUTPUT_FAILED);
  PetscCall(PetscPopErrorHandler());
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, handler);
  {
    snprintf(closing, sizeof closing, "%s", ErrorText(cerr));
  }
  if (!check(ierr == PETSC_ERR_FILE_WRITE && k > 2 && strstr(msg, "limit.h5.part") && strstr(msg, strerror(EFBIG)) && !strchr(msg, '\n'),
             "write_error_is_file_write_with_one_message", NULL, 0, 0))
    printf("  error %d after %d output times: %s\n", (int)ierr, (int)k, msg);
  if (!check(cerr == PETSC_ERR_FILE_WRITE && strstr(closing, "status failed") && !out, "close_after_write_error_marks_failed", NULL, 0, 0))
    printf("  close: %d: %s\n", (int)cerr, closing);
  CheckFailedFile(path, k, 1000, msg, "write_error");

  /* every later call on the closed handle is safe */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  cerr = OutputClose(&out, "again", OUTPUT_FAILED);
  ierr = OutputWriteMetric(out, "x", 1.0, "1");
  PetscCall(PetscPopErrorHandler());
  check(cerr == 0 && ierr == PETSC_ERR_ARG_NULL, "calls_after_close_are_safe", NULL, 0, 0);
  PetscFunctionReturn(0);
}

/* Writer mode "fill" for tests/test_crash.sh (a small tmpfs): as a caller
 * must, it closes the output as failed with the error as reason. */
static PetscErrorCode FillMode(const char *dir, int *status)
{
  char           path[PETSC_MAX_PATH_LEN], msg[1024], closing[2048] = "";
  Output         out = NULL;
  PetscInt       k;
  PetscErrorCode ierr, cerr;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  snprintf(path, sizeof path, "%s/run.h5", dir);
  PetscCall(FillUntilError(PETSC_COMM_WORLD, path, 2000, 100000, &out, &k, &ierr, msg, sizeof msg));
  printf("rank %d: write error %d after %d output times: %s\n", rank, (int)ierr, (int)k, msg);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  cerr = OutputClose(&out, msg, OUTPUT_FAILED);
  PetscCall(PetscPopErrorHandler());
  if (cerr) {
    snprintf(closing, sizeof closing, "%s", ErrorText(cerr));
  }
  printf("rank %d: closed %d: %s\n", rank, (int)cerr, closing);
  *status = ierr == PETSC_ERR_FILE_WRITE ? 4 : 1;
  PetscFunctionReturn(0);
}

static void RemoveTree(const char *dir)
{
  char cmd[PETSC_MAX_PATH_LEN + 32];

  /* the name tests leave read-only files, links, a FIFO and directories */
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) printf("could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
  char path[PETSC_MAX_PATH_LEN];
  int  status = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  if (argc > 2 && !strcmp(argv[2], "fill")) {
    PetscCall(FillMode(argv[1], &status));
  } else if (argc > 1) {
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/run.h5", argv[1]));
    PetscCall(WriteRun(PETSC_COMM_WORLD, path, (PetscBool)(argc > 2 && !strcmp(argv[2], "kill")), argc, argv));
  } else {
    char dir[] = "/tmp/ionstack_test_output_XXXXXX";

    PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_SYS, "Cannot make a temporary directory");
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/sub/run.h5", dir)); /* sub/ does not exist yet */
    PetscCall(WriteRun(PETSC_COMM_WORLD, path, PETSC_FALSE, argc, argv));
    CheckFullRun(dir);
    PetscCall(CheckEmptyRun(dir));
    PetscCall(CheckInterrupted(dir));
    PetscCall(CheckCommandLine(dir));
    PetscCall(CheckRefusals(dir));
    PetscCall(CheckLinks(dir));
    PetscCall(CheckWriteErrors(dir));
    if (!test_failures)
      RemoveTree(dir);
    else
      printf("files kept in %s\n", dir);
    status = test_failures ? 1 : 0;
  }
  PetscCall(PetscFinalize());
  return status;
}
