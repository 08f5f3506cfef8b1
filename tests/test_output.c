/* Output layer test (src/output.c).
 *
 * With no arguments it checks itself: writes a small run (6 cells, 3 output
 * times, 50 samples, 2 protocol steps, 2 metrics) into a fresh temporary
 * directory, reads it back with the HDF5 C API and prints PASS/FAIL lines; it
 * also closes a run that never wrote a field and checks what that leaves.
 *
 * Driven by tests/test_output.sh it only writes and prints no PASS lines:
 *   test_output DIR        writes DIR/run.h5 (+ .xmf, .csv) and exits 0
 *   test_output DIR kill   writes one output time, then _exit(0)s without closing
 * The script then checks the files with h5dump, h5py, XML and the plot script.
 * The expected values are the formulas in Sample() and FieldValue(); the
 * script repeats them. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
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
  OutputMesh   mesh;
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
    if (i == 24) PetscCall(OutputWriteStepEnd(out, 0, "discharge at 1C until 3.0 V", s.time, "cutoff voltage 3 V"));
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
  PetscCall(OutputWriteStepEnd(out, 1, "rest for 10 min", s.time, "duration"));
  PetscCall(OutputWriteMetric(out, "delivered_capacity", s.capacity / 36000.0, "mAh/cm^2"));
  PetscCall(OutputWriteMetric(out, "mean_voltage", 3.955, "V"));
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

static int ReadText(hid_t file, const char *path, char *buf, size_t len)
{
  hid_t d, t;
  char *s = NULL;
  int   ok;

  if ((d = H5Dopen2(file, path, H5P_DEFAULT)) < 0) return -1;
  t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  ok = H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) >= 0 && s;
  if (ok) snprintf(buf, len, "%s", s);
  if (s) H5free_memory(s);
  H5Tclose(t);
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
  mesh = (OutputMesh){NCELLS, (PetscReal *)x_faces, x_centres, (PetscInt *)phases};
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

static void RemoveTree(const char *dir)
{
  static const char *names[] = {"sub/run.h5", "sub/run.xmf", "sub/run.csv", "empty.h5", "empty.xmf", "empty.csv"};
  char               path[PETSC_MAX_PATH_LEN];

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/sub", dir);
  rmdir(path);
  rmdir(dir);
}

int main(int argc, char **argv)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  if (argc > 1) {
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/run.h5", argv[1]));
    PetscCall(WriteRun(PETSC_COMM_WORLD, path, (PetscBool)(argc > 2 && !strcmp(argv[2], "kill")), argc, argv));
  } else {
    char dir[] = "/tmp/ionstack_test_output_XXXXXX";

    PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_SYS, "Cannot make a temporary directory");
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/sub/run.h5", dir)); /* sub/ does not exist yet */
    PetscCall(WriteRun(PETSC_COMM_WORLD, path, PETSC_FALSE, argc, argv));
    CheckFullRun(dir);
    PetscCall(CheckEmptyRun(dir));
    if (!test_failures)
      RemoveTree(dir);
    else
      printf("files kept in %s\n", dir);
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
