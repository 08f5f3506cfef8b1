/* Output layer: one HDF5 file per run with /provenance, /mesh, /fields (every
 * field at every output time), /timeseries (voltage, current, capacity, energy
 * per accepted step), /protocol (which step ended when and why) and /metrics,
 * plus two sidecars beside it: an XDMF file that ParaView opens as a time
 * series and a CSV of the time series. docs/output.md describes the layout.
 *
 * Crash safety: the run writes <file>.part and renames it to <file> only in
 * OutputClose, so a file under its final name has been closed (its
 * /provenance/status says whether the run succeeded). The file is flushed at
 * every output time, so a killed run's .part keeps every completed output
 * time. The sidecars are written through temporary names and renamed.
 *
 * Only rank 0 touches the file, with serial HDF5 and default property lists;
 * the other ranks hold a handle that only takes part in broadcasting errors, so
 * every rank sees a failure of rank 0. Fields arrive already gathered on rank 0.
 * This file does not gather fields, compute metrics, restart runs from a file,
 * or describe 2D grids in XDMF yet (see XdmfWriteGrid). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "ionstack.h"

#if !defined(PETSC_USE_REAL_DOUBLE)
#error "output.c stores PetscReal as IEEE double; build with a double-precision PETSc"
#endif

#ifndef IONSTACK_GIT
#define IONSTACK_GIT "unknown"
#endif

/* Checks an HDF5 return (herr_t, hid_t, htri_t: negative is failure) and raises
 * a PETSc error that names the operation, the object and the file. */
#define H5Check(expr, out, op, object)                                                                                                               \
  do {                                                                                                                                               \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 could not %s %s in %s", op, object, (out)->part);                                  \
  } while (0)

#define PHASE_LABELS "0 void, 1 lithium, 2 electrolyte, 3 active, 4 composite, 5 collector"
#define SAMPLE_CHUNK 1024 /* rows per chunk of the extendible 1D datasets */
#define CSV_BLOCK 4096    /* rows read back at a time when writing the CSV */

/* 1 mAh/cm^2 = 3.6 C / 1e-4 m^2 = 36000 C/m^2; 1 Wh = 3600 J. */
static inline PetscReal ToMAhPerCm2(PetscReal coulomb_per_m2)
{
  return coulomb_per_m2 / 36000.0;
}
static inline PetscReal ToWh(PetscReal joule)
{
  return joule / 3600.0;
}

typedef struct {
  char      name[128];
  char      units[64];
  PetscInt  count;
  PetscBool cell; /* one value per cell: goes into the XDMF */
} FieldInfo;

struct _n_Output {
  MPI_Comm    comm;
  PetscMPIInt rank;
  char        path[PETSC_MAX_PATH_LEN]; /* final name of the .h5 */
  char        part[PETSC_MAX_PATH_LEN]; /* path.part, the name during the run */
  char        base[PETSC_MAX_PATH_LEN]; /* path without its extension: base.xmf, base.csv */
  hid_t       file, str;                /* the file; a variable-length UTF-8 string type */

  PetscInt  ncells;
  PetscReal length; /* x extent of the mesh, the XDMF's y and z width */

  PetscInt   ntimes, times_cap; /* output times written so far */
  PetscReal *times;
  PetscInt   nfields, fields_cap;
  FieldInfo *fields;

  OutputSample *samples; /* buffered samples not yet in the file */
  size_t        nsamples, samples_cap;
};

const char *const OutputStatuses[] = {"complete", "failed", "interrupted", "OutputStatus", "OUTPUT_", NULL};

/* ---- small HDF5 helpers; every path is absolute ("/fields/time") ---- */

static PetscErrorCode H5WriteStringAttribute(Output out, hid_t obj, const char *objpath, const char *name, const char *value)
{
  hid_t       space, attr;
  htri_t      exists;
  const char *v = value ? value : "";

  PetscFunctionBegin;
  H5Check(exists = H5Aexists(obj, name), out, "look up attribute of", objpath);
  if (exists) H5Check(H5Adelete(obj, name), out, "delete attribute of", objpath);
  H5Check(space = H5Screate(H5S_SCALAR), out, "create a scalar dataspace for", objpath);
  H5Check(attr = H5Acreate2(obj, name, out->str, space, H5P_DEFAULT, H5P_DEFAULT), out, "create attribute of", objpath);
  H5Check(H5Awrite(attr, out->str, &v), out, "write attribute of", objpath);
  H5Check(H5Aclose(attr), out, "close attribute of", objpath);
  H5Check(H5Sclose(space), out, "close dataspace of", objpath);
  PetscFunctionReturn(0);
}

static PetscErrorCode H5CreateGroup(Output out, const char *path)
{
  hid_t g;

  PetscFunctionBegin;
  H5Check(g = H5Gcreate2(out->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), out, "create group", path);
  H5Check(H5Gclose(g), out, "close group", path);
  PetscFunctionReturn(0);
}

/* Scalar dataset of memtype (a number or out->str) with a units attribute;
 * an existing dataset of that name is replaced. */
static PetscErrorCode H5WriteScalar(Output out, const char *path, hid_t memtype, hid_t filetype, const void *value, const char *units)
{
  hid_t  space, d;
  htri_t exists;

  PetscFunctionBegin;
  H5Check(exists = H5Lexists(out->file, path, H5P_DEFAULT), out, "look up", path);
  if (exists) H5Check(H5Ldelete(out->file, path, H5P_DEFAULT), out, "replace", path);
  H5Check(space = H5Screate(H5S_SCALAR), out, "create a scalar dataspace for", path);
  H5Check(d = H5Dcreate2(out->file, path, filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), out, "create dataset", path);
  H5Check(H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, value), out, "write dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", units));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscFunctionReturn(0);
}

/* Text is stored as a scalar variable-length string with an empty units attribute. */
static PetscErrorCode H5WriteText(Output out, const char *path, const char *value)
{
  const char *v = value ? value : "";

  PetscFunctionBegin;
  PetscCall(H5WriteScalar(out, path, out->str, out->str, &v, ""));
  PetscFunctionReturn(0);
}

static PetscErrorCode H5WriteArray(Output out, const char *path, hid_t memtype, hid_t filetype, hsize_t n, const void *data, const char *units)
{
  hid_t space, d;

  PetscFunctionBegin;
  H5Check(space = H5Screate_simple(1, &n, NULL), out, "create a dataspace for", path);
  H5Check(d = H5Dcreate2(out->file, path, filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), out, "create dataset", path);
  H5Check(H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), out, "write dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", units));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscFunctionReturn(0);
}

/* An empty 1D dataset that H5AppendSeries extends. */
static PetscErrorCode H5CreateSeries(Output out, const char *path, hid_t filetype, const char *units)
{
  hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = SAMPLE_CHUNK;
  hid_t   space, dcpl, d;

  PetscFunctionBegin;
  H5Check(space = H5Screate_simple(1, &zero, &unlimited), out, "create a dataspace for", path);
  H5Check(dcpl = H5Pcreate(H5P_DATASET_CREATE), out, "create a property list for", path);
  H5Check(H5Pset_chunk(dcpl, 1, &chunk), out, "set the chunk size of", path);
  H5Check(d = H5Dcreate2(out->file, path, filetype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), out, "create dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", units));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Pclose(dcpl), out, "close the property list of", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode H5AppendSeries(Output out, const char *path, hid_t memtype, hsize_t n, const void *data)
{
  hid_t   d, fspace, mspace;
  hsize_t old, size;

  PetscFunctionBegin;
  if (!n) PetscFunctionReturn(0);
  H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
  H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
  H5Check(H5Sget_simple_extent_dims(fspace, &old, NULL), out, "get the size of", path);
  H5Check(H5Sclose(fspace), out, "close dataspace of", path);
  size = old + n;
  H5Check(H5Dset_extent(d, &size), out, "extend dataset", path);
  H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
  H5Check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &old, NULL, &n, NULL), out, "select rows of", path);
  H5Check(mspace = H5Screate_simple(1, &n, NULL), out, "create a memory dataspace for", path);
  H5Check(H5Dwrite(d, memtype, mspace, fspace, H5P_DEFAULT, data), out, "append to dataset", path);
  H5Check(H5Sclose(mspace), out, "close dataspace of", path);
  H5Check(H5Sclose(fspace), out, "close dataspace of", path);
  H5Check(H5Dclose(d), out, "close dataset", path);
  PetscFunctionReturn(0);
}

/* Reads rows [start, start+n) of a 1D dataset; *size gets its length. */
static PetscErrorCode H5ReadSeries(Output out, const char *path, hid_t memtype, hsize_t start, hsize_t n, void *data, hsize_t *size)
{
  hid_t d, fspace, mspace;

  PetscFunctionBegin;
  H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
  H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
  H5Check(H5Sget_simple_extent_dims(fspace, size, NULL), out, "get the size of", path);
  if (n) {
    PetscCheck(start + n <= *size, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s in %s has %llu rows, fewer than %llu", path, out->part,
               (unsigned long long)*size, (unsigned long long)(start + n));
    H5Check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &n, NULL), out, "select rows of", path);
    H5Check(mspace = H5Screate_simple(1, &n, NULL), out, "create a memory dataspace for", path);
    H5Check(H5Dread(d, memtype, mspace, fspace, H5P_DEFAULT, data), out, "read dataset", path);
    H5Check(H5Sclose(mspace), out, "close dataspace of", path);
  }
  H5Check(H5Sclose(fspace), out, "close dataspace of", path);
  H5Check(H5Dclose(d), out, "close dataset", path);
  PetscFunctionReturn(0);
}

/* ---- file-system helpers ---- */

/* mkdir -p of the directory part of path. */
static PetscErrorCode MakeParentDirectories(const char *path)
{
  char        dir[PETSC_MAX_PATH_LEN];
  struct stat st;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(dir, path, sizeof dir));
  for (char *s = dir + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(dir, 0777) && errno != EEXIST)
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot create directory %s for output file %s: %s; choose a writable output.file", dir, path,
              strerror(errno));
    PetscCheck(!stat(dir, &st) && S_ISDIR(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN,
               "Cannot write output file %s: %s is not a directory; choose another output.file", path, dir);
    *s = '/';
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RemoveIfPresent(const char *path)
{
  PetscFunctionBegin;
  PetscCheck(!unlink(path) || errno == ENOENT, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot remove the stale file %s: %s", path, strerror(errno));
  PetscFunctionReturn(0);
}

static PetscErrorCode RenameFile(const char *from, const char *to)
{
  PetscFunctionBegin;
  PetscCheck(!rename(from, to), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot rename %s to %s: %s", from, to, strerror(errno));
  PetscFunctionReturn(0);
}

/* Current time as ISO 8601 UTC, e.g. 2024-05-01T12:00:00Z. */
static PetscErrorCode Now(char *buf, size_t len)
{
  time_t    t = time(NULL);
  struct tm tm;

  PetscFunctionBegin;
  PetscCheck(gmtime_r(&t, &tm) && strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm), PETSC_COMM_SELF, PETSC_ERR_SYS, "Cannot format the current time");
  PetscFunctionReturn(0);
}

/* Field and metric names become HDF5 link names and XML attribute values. */
static PetscErrorCode CheckName(const char *name, const char *what)
{
  PetscFunctionBegin;
  PetscCheck(name && name[0], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Output %s needs a non-empty name", what);
  for (const char *s = name; *s; s++)
    PetscCheck((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.' || *s == '+',
               PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Output %s name \"%s\" may only use letters, digits and _ - . +", what, name);
  PetscCheck(strlen(name) < sizeof(((FieldInfo *)0)->name), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Output %s name \"%s\" is too long", what, name);
  PetscFunctionReturn(0);
}

/* Rank 0 did the work and got ierr; every rank returns an error if it failed. */
static PetscErrorCode ShareError(MPI_Comm comm, PetscMPIInt rank, PetscErrorCode ierr, const char *what, const char *file)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, comm));
  if (rank == 0) PetscCall(ierr);
  PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_LIB, "Rank 0 could not %s %s (its message says why)", what, file);
  PetscFunctionReturn(0);
}

/* ---- create ---- */

static PetscErrorCode WriteProvenance(Output out, const Params *p, int argc, char **argv)
{
  char        buf[256];
  char       *cmd;
  size_t      len = 1;
  unsigned    maj, min, rel;
  PetscMPIInt size;
  long long   nranks;
  const hid_t ll   = H5T_NATIVE_LLONG;
  const hid_t i64  = H5T_STD_I64LE;
  const char *prov = "/provenance";

  PetscFunctionBegin;
  PetscCall(H5CreateGroup(out, prov));
  PetscCall(H5WriteText(out, "/provenance/ionstack_version", IONSTACK_VERSION));
  PetscCall(H5WriteText(out, "/provenance/git_revision", IONSTACK_GIT));
  PetscCall(PetscGetVersion(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/petsc_version", buf));
  H5Check(H5get_libversion(&maj, &min, &rel), out, "get the library version for", prov);
  PetscCall(PetscSNPrintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel));
  PetscCall(H5WriteText(out, "/provenance/hdf5_version", buf));
  PetscCallMPI(MPI_Comm_size(out->comm, &size));
  nranks = size;
  PetscCall(H5WriteScalar(out, "/provenance/mpi_size", ll, i64, &nranks, "1"));
  PetscCall(PetscGetHostName(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/hostname", buf));

  for (int i = 0; i < argc && argv; i++)
    len += strlen(argv[i]) + 1;
  PetscCall(PetscMalloc1(len, &cmd));
  cmd[0] = '\0';
  for (int i = 0; i < argc && argv; i++) {
    if (i) strcat(cmd, " ");
    strcat(cmd, argv[i]);
  }
  PetscCall(H5WriteText(out, "/provenance/command_line", cmd));
  PetscCall(PetscFree(cmd));

  PetscCall(H5WriteText(out, "/provenance/config_file", p ? p->config_file : ""));
  PetscCall(H5WriteText(out, "/provenance/config", p && p->resolved_yaml ? p->resolved_yaml : ""));
  PetscCall(Now(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/start_time", buf));
  PetscCall(H5WriteText(out, "/provenance/end_time", ""));
  PetscCall(H5WriteText(out, "/provenance/exit_reason", ""));
  PetscCall(H5WriteText(out, "/provenance/status", "running"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteMesh(Output out, const OutputMesh *mesh)
{
  int  *phase;
  hid_t d;

  PetscFunctionBegin;
  PetscCall(H5CreateGroup(out, "/mesh"));
  PetscCall(H5WriteArray(out, "/mesh/x_faces", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (hsize_t)mesh->ncells + 1, mesh->x_faces, "m"));
  PetscCall(H5WriteArray(out, "/mesh/x_centres", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (hsize_t)mesh->ncells, mesh->x_centres, "m"));
  PetscCall(PetscMalloc1(mesh->ncells, &phase));
  for (PetscInt i = 0; i < mesh->ncells; i++)
    phase[i] = (int)mesh->phase[i];
  PetscCall(H5WriteArray(out, "/mesh/phase", H5T_NATIVE_INT, H5T_STD_I32LE, (hsize_t)mesh->ncells, phase, "1"));
  PetscCall(PetscFree(phase));
  H5Check(d = H5Dopen2(out->file, "/mesh/phase", H5P_DEFAULT), out, "open dataset", "/mesh/phase");
  PetscCall(H5WriteStringAttribute(out, d, "/mesh/phase", "labels", PHASE_LABELS));
  H5Check(H5Dclose(d), out, "close dataset", "/mesh/phase");
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputCreate_Root(Output out, const Params *p, int argc, char **argv, const OutputMesh *mesh)
{
  char  xmf[PETSC_MAX_PATH_LEN + 8], csv[PETSC_MAX_PATH_LEN + 8];
  hid_t root;

  PetscFunctionBegin;
  PetscCheck(mesh && mesh->ncells > 0 && mesh->x_faces && mesh->x_centres && mesh->phase, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL,
             "OutputCreate needs a mesh with cells, faces, centres and phases on rank 0");
  out->ncells = mesh->ncells;
  out->length = mesh->x_faces[mesh->ncells] - mesh->x_faces[0];

  PetscCall(MakeParentDirectories(out->path));
  PetscCall(PetscSNPrintf(xmf, sizeof xmf, "%s.xmf", out->base));
  PetscCall(PetscSNPrintf(csv, sizeof csv, "%s.csv", out->base));
  /* An earlier run's files at this path would pose as this run's results. */
  PetscCall(RemoveIfPresent(out->part));
  PetscCall(RemoveIfPresent(out->path));
  PetscCall(RemoveIfPresent(xmf));
  PetscCall(RemoveIfPresent(csv));

  H5Check(out->str = H5Tcopy(H5T_C_S1), out, "copy the string type for", "strings");
  H5Check(H5Tset_size(out->str, H5T_VARIABLE), out, "make variable-length the string type for", "strings");
  H5Check(H5Tset_cset(out->str, H5T_CSET_UTF8), out, "set UTF-8 on the string type for", "strings");
  H5Check(out->file = H5Fcreate(out->part, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), out, "create the file",
          "(check that its directory is writable)");

  H5Check(root = H5Gopen2(out->file, "/", H5P_DEFAULT), out, "open group", "/");
  PetscCall(H5WriteStringAttribute(out, root, "/", "format", "ionstack output 1 (docs/output.md)"));
  H5Check(H5Gclose(root), out, "close group", "/");

  PetscCall(WriteProvenance(out, p, argc, argv));
  PetscCall(WriteMesh(out, mesh));

  PetscCall(H5CreateGroup(out, "/fields"));
  PetscCall(H5CreateSeries(out, "/fields/time", H5T_IEEE_F64LE, "s"));

  PetscCall(H5CreateGroup(out, "/timeseries"));
  PetscCall(H5CreateSeries(out, "/timeseries/time", H5T_IEEE_F64LE, "s"));
  PetscCall(H5CreateSeries(out, "/timeseries/voltage", H5T_IEEE_F64LE, "V"));
  PetscCall(H5CreateSeries(out, "/timeseries/current", H5T_IEEE_F64LE, "A/m^2"));
  PetscCall(H5CreateSeries(out, "/timeseries/capacity", H5T_IEEE_F64LE, "C/m^2"));
  PetscCall(H5CreateSeries(out, "/timeseries/capacity_mAh_per_cm2", H5T_IEEE_F64LE, "mAh/cm^2"));
  PetscCall(H5CreateSeries(out, "/timeseries/energy", H5T_IEEE_F64LE, "J/m^2"));
  PetscCall(H5CreateSeries(out, "/timeseries/step", H5T_STD_I64LE, "1"));
  PetscCall(H5CreateSeries(out, "/timeseries/protocol_step", H5T_STD_I64LE, "1"));

  PetscCall(H5CreateGroup(out, "/protocol"));
  PetscCall(H5CreateSeries(out, "/protocol/index", H5T_STD_I64LE, "1"));
  PetscCall(H5CreateSeries(out, "/protocol/text", out->str, ""));
  PetscCall(H5CreateSeries(out, "/protocol/end_time", H5T_IEEE_F64LE, "s"));
  PetscCall(H5CreateSeries(out, "/protocol/end_reason", out->str, ""));

  PetscCall(H5CreateGroup(out, "/metrics"));
  H5Check(H5Fflush(out->file, H5F_SCOPE_GLOBAL), out, "flush", "the file");
  PetscFunctionReturn(0);
}

PetscErrorCode OutputCreate(MPI_Comm comm, const char *path, const Params *p, int argc, char **argv, const OutputMesh *mesh, Output *out)
{
  Output         o;
  PetscErrorCode ierr = 0;
  char          *dot, *slash;

  PetscFunctionBegin;
  PetscCheck(out, comm, PETSC_ERR_ARG_NULL, "OutputCreate needs a place to put the handle");
  PetscCheck(path && path[0], comm, PETSC_ERR_USER_INPUT, "No output file given; set output.file");
  PetscCheck(strlen(path) + 8 < PETSC_MAX_PATH_LEN, comm, PETSC_ERR_USER_INPUT, "Output file name %s is too long", path);
  PetscCall(PetscNew(&o));
  o->comm = comm;
  o->file = H5I_INVALID_HID;
  o->str  = H5I_INVALID_HID;
  PetscCallMPI(MPI_Comm_rank(comm, &o->rank));
  PetscCall(PetscStrncpy(o->path, path, sizeof o->path));
  PetscCall(PetscSNPrintf(o->part, sizeof o->part, "%s.part", path));
  PetscCall(PetscStrncpy(o->base, path, sizeof o->base));
  dot   = strrchr(o->base, '.');
  slash = strrchr(o->base, '/');
  if (dot && (!slash || dot > slash + 1)) *dot = '\0';
  if (o->rank == 0) ierr = OutputCreate_Root(o, p, argc, argv, mesh);
  PetscCall(ShareError(comm, o->rank, ierr, "create the output file", o->part));
  *out = o;
  PetscFunctionReturn(0);
}

/* ---- fields ---- */

static PetscErrorCode FieldRegister(Output out, const OutputField *f, PetscInt count, FieldInfo **info)
{
  char    path[256];
  hsize_t dims[2] = {0, (hsize_t)count}, maxdims[2] = {H5S_UNLIMITED, (hsize_t)count}, chunk[2] = {1, (hsize_t)count};
  double  fill = NAN; /* rows of output times at which a field was not written */
  hid_t   space, dcpl, d;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < out->nfields; i++) {
    if (strcmp(out->fields[i].name, f->name)) continue;
    PetscCheck(out->fields[i].count == count, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
               "Field %s had %" PetscInt_FMT " values and now has %" PetscInt_FMT, f->name, out->fields[i].count, count);
    *info = &out->fields[i];
    PetscFunctionReturn(0);
  }
  PetscCall(CheckName(f->name, "field"));
  PetscCheck(strcmp(f->name, "time"), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "\"time\" is reserved for /fields/time");
  PetscCheck(count > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Field %s has no values", f->name);
  if (out->nfields == out->fields_cap) {
    out->fields_cap = out->fields_cap ? 2 * out->fields_cap : 16;
    PetscCall(PetscRealloc(sizeof(FieldInfo) * out->fields_cap, &out->fields));
  }
  *info = &out->fields[out->nfields++];
  PetscCall(PetscStrncpy((*info)->name, f->name, sizeof(*info)->name));
  PetscCall(PetscStrncpy((*info)->units, f->units ? f->units : "", sizeof(*info)->units));
  (*info)->count = count;
  (*info)->cell  = (PetscBool)(count == out->ncells);

  PetscCall(PetscSNPrintf(path, sizeof path, "/fields/%s", f->name));
  H5Check(space = H5Screate_simple(2, dims, maxdims), out, "create a dataspace for", path);
  H5Check(dcpl = H5Pcreate(H5P_DATASET_CREATE), out, "create a property list for", path);
  H5Check(H5Pset_chunk(dcpl, 2, chunk), out, "set the chunk size of", path);
  H5Check(H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill), out, "set the fill value of", path);
  H5Check(d = H5Dcreate2(out->file, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), out, "create dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", (*info)->units));
  PetscCall(H5WriteStringAttribute(out, d, path, "location", (*info)->cell ? "cell" : "other"));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Pclose(dcpl), out, "close the property list of", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscFunctionReturn(0);
}

/* Extends /fields/<name> to nrows rows and, if values is not NULL, writes row nrows-1. */
static PetscErrorCode FieldWriteRow(Output out, const FieldInfo *info, hsize_t nrows, const PetscReal *values)
{
  char    path[256];
  hsize_t dims[2], start[2] = {nrows - 1, 0}, count[2] = {1, (hsize_t)info->count};
  hid_t   d, fspace, mspace;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof path, "/fields/%s", info->name));
  H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
  H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
  H5Check(H5Sget_simple_extent_dims(fspace, dims, NULL), out, "get the size of", path);
  H5Check(H5Sclose(fspace), out, "close dataspace of", path);
  if (dims[0] < nrows) {
    dims[0] = nrows;
    H5Check(H5Dset_extent(d, dims), out, "extend dataset", path);
  }
  if (values) {
    H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
    H5Check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL), out, "select a row of", path);
    H5Check(mspace = H5Screate_simple(2, count, NULL), out, "create a memory dataspace for", path);
    H5Check(H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, values), out, "write a row of", path);
    H5Check(H5Sclose(mspace), out, "close dataspace of", path);
    H5Check(H5Sclose(fspace), out, "close dataspace of", path);
  }
  H5Check(H5Dclose(d), out, "close dataset", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode FlushSamples(Output out)
{
  size_t     n = out->nsamples;
  double    *r;
  long long *k;

  PetscFunctionBegin;
  if (!n) PetscFunctionReturn(0);
  PetscCall(PetscMalloc2(n, &r, n, &k));
  for (size_t i = 0; i < n; i++)
    r[i] = out->samples[i].time;
  PetscCall(H5AppendSeries(out, "/timeseries/time", H5T_NATIVE_DOUBLE, n, r));
  for (size_t i = 0; i < n; i++)
    r[i] = out->samples[i].voltage;
  PetscCall(H5AppendSeries(out, "/timeseries/voltage", H5T_NATIVE_DOUBLE, n, r));
  for (size_t i = 0; i < n; i++)
    r[i] = out->samples[i].current;
  PetscCall(H5AppendSeries(out, "/timeseries/current", H5T_NATIVE_DOUBLE, n, r));
  for (size_t i = 0; i < n; i++)
    r[i] = out->samples[i].capacity;
  PetscCall(H5AppendSeries(out, "/timeseries/capacity", H5T_NATIVE_DOUBLE, n, r));
  for (size_t i = 0; i < n; i++)
    r[i] = ToMAhPerCm2(out->samples[i].capacity);
  PetscCall(H5AppendSeries(out, "/timeseries/capacity_mAh_per_cm2", H5T_NATIVE_DOUBLE, n, r));
  for (size_t i = 0; i < n; i++)
    r[i] = out->samples[i].energy;
  PetscCall(H5AppendSeries(out, "/timeseries/energy", H5T_NATIVE_DOUBLE, n, r));
  for (size_t i = 0; i < n; i++)
    k[i] = out->samples[i].step;
  PetscCall(H5AppendSeries(out, "/timeseries/step", H5T_NATIVE_LLONG, n, k));
  for (size_t i = 0; i < n; i++)
    k[i] = out->samples[i].protocol_step;
  PetscCall(H5AppendSeries(out, "/timeseries/protocol_step", H5T_NATIVE_LLONG, n, k));
  PetscCall(PetscFree2(r, k));
  out->nsamples = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputWriteFields_Root(Output out, PetscReal time, PetscInt nfields, const OutputField *fields)
{
  hsize_t    row = (hsize_t)out->ntimes + 1;
  FieldInfo *info;

  PetscFunctionBegin;
  PetscCheck(nfields >= 0 && (nfields == 0 || fields), PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteFields needs the fields on rank 0");
  for (PetscInt f = 0; f < nfields; f++) {
    const PetscInt count = fields[f].count ? fields[f].count : out->ncells;

    PetscCheck(fields[f].values, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Field %s has no values on rank 0",
               fields[f].name ? fields[f].name : "(unnamed)");
    PetscCall(FieldRegister(out, &fields[f], count, &info));
    PetscCall(FieldWriteRow(out, info, row, fields[f].values));
  }
  /* Fields not given this time keep a NaN row, so every field has a row per time. */
  for (PetscInt f = 0; f < out->nfields; f++)
    PetscCall(FieldWriteRow(out, &out->fields[f], row, NULL));
  /* The time goes last: the length of /fields/time counts the complete output times. */
  PetscCall(H5AppendSeries(out, "/fields/time", H5T_NATIVE_DOUBLE, 1, &time));
  if (out->ntimes == out->times_cap) {
    out->times_cap = out->times_cap ? 2 * out->times_cap : 64;
    PetscCall(PetscRealloc(sizeof(PetscReal) * out->times_cap, &out->times));
  }
  out->times[out->ntimes++] = time;
  PetscCall(FlushSamples(out));
  H5Check(H5Fflush(out->file, H5F_SCOPE_GLOBAL), out, "flush", "the file");
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteFields(Output out, PetscReal time, PetscInt nfields, const OutputField *fields)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteFields needs an output created by OutputCreate");
  if (out->rank == 0) ierr = OutputWriteFields_Root(out, time, nfields, fields);
  PetscCall(ShareError(out->comm, out->rank, ierr, "write fields to", out->part));
  PetscFunctionReturn(0);
}

/* ---- time series, protocol, metrics ---- */

PetscErrorCode OutputAppendSample(Output out, const OutputSample *s)
{
  PetscFunctionBegin;
  if (!out || out->rank) PetscFunctionReturn(0);
  if (out->nsamples == out->samples_cap) {
    out->samples_cap = out->samples_cap ? 2 * out->samples_cap : 256;
    PetscCall(PetscRealloc(sizeof(OutputSample) * out->samples_cap, &out->samples));
  }
  out->samples[out->nsamples++] = *s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputWriteStepEnd_Root(Output out, PetscInt index, const char *text, PetscReal time, const char *reason)
{
  long long   i = index;
  const char *t = text ? text : "", *r = reason ? reason : "";

  PetscFunctionBegin;
  PetscCall(H5AppendSeries(out, "/protocol/index", H5T_NATIVE_LLONG, 1, &i));
  PetscCall(H5AppendSeries(out, "/protocol/text", out->str, 1, &t));
  PetscCall(H5AppendSeries(out, "/protocol/end_time", H5T_NATIVE_DOUBLE, 1, &time));
  PetscCall(H5AppendSeries(out, "/protocol/end_reason", out->str, 1, &r));
  H5Check(H5Fflush(out->file, H5F_SCOPE_GLOBAL), out, "flush", "the file");
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteStepEnd(Output out, PetscInt index, const char *text, PetscReal time, const char *reason)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteStepEnd needs an output created by OutputCreate");
  if (out->rank == 0) ierr = OutputWriteStepEnd_Root(out, index, text, time, reason);
  PetscCall(ShareError(out->comm, out->rank, ierr, "record a protocol step in", out->part));
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputWriteMetric_Root(Output out, const char *name, PetscReal value, const char *units)
{
  char path[256];

  PetscFunctionBegin;
  PetscCall(CheckName(name, "metric"));
  PetscCall(PetscSNPrintf(path, sizeof path, "/metrics/%s", name));
  PetscCall(H5WriteScalar(out, path, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &value, units ? units : ""));
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteMetric(Output out, const char *name, PetscReal value, const char *units)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteMetric needs an output created by OutputCreate");
  if (out->rank == 0) ierr = OutputWriteMetric_Root(out, name, value, units);
  PetscCall(ShareError(out->comm, out->rank, ierr, "write a metric to", out->part));
  PetscFunctionReturn(0);
}

/* ---- sidecars ---- */

static void XmlEscape(const char *in, char *out, size_t len)
{
  size_t n = 0;

  for (; *in && n + 7 < len; in++) {
    const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;" : *in == '>' ? "&gt;" : *in == '"' ? "&quot;" : NULL;
    if (rep)
      n += (size_t)snprintf(out + n, len - n, "%s", rep);
    else
      out[n++] = *in;
  }
  out[n] = '\0';
}

/* XDMF dimensions of one cell field, slowest index first. */
static void XdmfCellDims(Output out, char *buf, size_t len)
{
  snprintf(buf, len, "1 1 %" PetscInt_FMT, out->ncells);
}

/* Topology and geometry of the mesh. 1D cells have non-uniform widths, so the
 * grid is a 3DRectMesh one (unit-less, mesh-length) cell thick in y and z with
 * the x faces from /mesh/x_faces. A 2D grid (nx x ny square cells) goes here:
 * TopologyType="3DCoRectMesh" Dimensions="2 ny+1 nx+1", GeometryType
 * "ORIGIN_DXDYDZ" with inline origin and spacing, and XdmfCellDims returning
 * "1 ny nx"; the attributes and the time collection stay as they are. */
static void XdmfWriteGrid(Output out, FILE *fp, const char *h5)
{
  fprintf(fp, "      <Topology TopologyType=\"3DRectMesh\" Dimensions=\"2 2 %" PetscInt_FMT "\"/>\n", out->ncells + 1);
  fprintf(fp, "      <Geometry GeometryType=\"VXVYVZ\">\n");
  fprintf(fp, "        <DataItem Dimensions=\"%" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/mesh/x_faces</DataItem>\n",
          out->ncells + 1, h5);
  fprintf(fp, "        <DataItem Dimensions=\"2\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0 %.17g</DataItem>\n", (double)out->length);
  fprintf(fp, "        <DataItem Dimensions=\"2\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0 %.17g</DataItem>\n", (double)out->length);
  fprintf(fp, "      </Geometry>\n");
}

/* Phase labels of every cell, constant in time. ParaView's XDMFReader reads
 * only one value if the DataItem declares the dataset's own 1D shape (N), so
 * it declares the cell shape as the fields do. */
static void XdmfWritePhase(Output out, FILE *fp, const char *h5)
{
  char dims[64];

  XdmfCellDims(out, dims, sizeof dims);
  fprintf(fp, "      <Attribute Name=\"phase\" AttributeType=\"Scalar\" Center=\"Cell\">\n");
  fprintf(fp, "        <DataItem Dimensions=\"%s\" NumberType=\"Int\" Precision=\"4\" Format=\"HDF\">%s:/mesh/phase</DataItem>\n", dims, h5);
  fprintf(fp, "      </Attribute>\n");
}

/* Row k of /fields/<name> as a cell attribute. */
static void XdmfWriteField(Output out, FILE *fp, const char *h5, const FieldInfo *f, PetscInt k)
{
  char dims[64];

  XdmfCellDims(out, dims, sizeof dims);
  fprintf(fp, "      <Attribute Name=\"%s\" AttributeType=\"Scalar\" Center=\"Cell\">\n", f->name);
  fprintf(fp, "        <DataItem ItemType=\"HyperSlab\" Dimensions=\"%s\" Type=\"HyperSlab\">\n", dims);
  fprintf(fp, "          <DataItem Dimensions=\"3 2\" NumberType=\"Int\" Format=\"XML\">%" PetscInt_FMT " 0 1 1 1 %" PetscInt_FMT "</DataItem>\n", k,
          f->count);
  fprintf(fp,
          "          <DataItem Dimensions=\"%" PetscInt_FMT " %" PetscInt_FMT
          "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/fields/%s</DataItem>\n",
          out->ntimes, f->count, h5, f->name);
  fprintf(fp, "        </DataItem>\n");
  fprintf(fp, "      </Attribute>\n");
}

static PetscErrorCode WriteXdmf(Output out, const char *xmf)
{
  char        tmp[PETSC_MAX_PATH_LEN + 16], h5[3 * PETSC_MAX_PATH_LEN];
  const char *slash = strrchr(out->path, '/');
  FILE       *fp;

  PetscFunctionBegin;
  /* XDMFReader resolves a relative HDF5 name against the .xmf's directory, so
   * the pair can be moved together. */
  XmlEscape(slash ? slash + 1 : out->path, h5, sizeof h5);
  PetscCall(PetscSNPrintf(tmp, sizeof tmp, "%s.part", xmf));
  fp = fopen(tmp, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s: %s", tmp, strerror(errno));
  fprintf(fp, "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"2.0\">\n  <Domain>\n");
  if (!out->ntimes) {
    fprintf(fp, "    <Grid Name=\"mesh\" GridType=\"Uniform\">\n");
    XdmfWriteGrid(out, fp, h5);
    XdmfWritePhase(out, fp, h5);
    fprintf(fp, "    </Grid>\n");
  } else {
    fprintf(fp, "    <Grid Name=\"ionstack\" GridType=\"Collection\" CollectionType=\"Temporal\">\n");
    for (PetscInt k = 0; k < out->ntimes; k++) {
      fprintf(fp, "     <Grid Name=\"t%" PetscInt_FMT "\" GridType=\"Uniform\">\n", k);
      fprintf(fp, "      <Time Value=\"%.17g\"/>\n", (double)out->times[k]);
      XdmfWriteGrid(out, fp, h5);
      XdmfWritePhase(out, fp, h5);
      for (PetscInt f = 0; f < out->nfields; f++)
        if (out->fields[f].cell) XdmfWriteField(out, fp, h5, &out->fields[f], k);
      fprintf(fp, "     </Grid>\n");
    }
    fprintf(fp, "    </Grid>\n");
  }
  fprintf(fp, "  </Domain>\n</Xdmf>\n");
  PetscCheck(!ferror(fp) && !fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot write %s", tmp);
  PetscCall(RenameFile(tmp, xmf));
  PetscFunctionReturn(0);
}

/* Writes the time series (read back from the file, so it need not stay in
 * memory) to tmp in the units people quote. */
static PetscErrorCode WriteCsv(Output out, const char *tmp)
{
  hsize_t    n, m;
  double    *t, *v, *c, *q, *e;
  long long *s, *ps;
  FILE      *fp;

  PetscFunctionBegin;
  fp = fopen(tmp, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s: %s", tmp, strerror(errno));
  fprintf(fp, "time_s,voltage_V,current_A_per_m2,capacity_mAh_per_cm2,energy_Wh_per_m2,step,protocol_step\n");
  PetscCall(H5ReadSeries(out, "/timeseries/time", H5T_NATIVE_DOUBLE, 0, 0, NULL, &n));
  PetscCall(PetscMalloc7(CSV_BLOCK, &t, CSV_BLOCK, &v, CSV_BLOCK, &c, CSV_BLOCK, &q, CSV_BLOCK, &e, CSV_BLOCK, &s, CSV_BLOCK, &ps));
  for (hsize_t start = 0; start < n; start += CSV_BLOCK) {
    hsize_t b = PetscMin(n - start, (hsize_t)CSV_BLOCK);

    PetscCall(H5ReadSeries(out, "/timeseries/time", H5T_NATIVE_DOUBLE, start, b, t, &m));
    PetscCall(H5ReadSeries(out, "/timeseries/voltage", H5T_NATIVE_DOUBLE, start, b, v, &m));
    PetscCall(H5ReadSeries(out, "/timeseries/current", H5T_NATIVE_DOUBLE, start, b, c, &m));
    PetscCall(H5ReadSeries(out, "/timeseries/capacity_mAh_per_cm2", H5T_NATIVE_DOUBLE, start, b, q, &m));
    PetscCall(H5ReadSeries(out, "/timeseries/energy", H5T_NATIVE_DOUBLE, start, b, e, &m));
    PetscCall(H5ReadSeries(out, "/timeseries/step", H5T_NATIVE_LLONG, start, b, s, &m));
    PetscCall(H5ReadSeries(out, "/timeseries/protocol_step", H5T_NATIVE_LLONG, start, b, ps, &m));
    for (hsize_t i = 0; i < b; i++)
      fprintf(fp, "%.10g,%.10g,%.10g,%.10g,%.10g,%lld,%lld\n", t[i], v[i], c[i], q[i], ToWh(e[i]), s[i], ps[i]);
  }
  PetscCall(PetscFree7(t, v, c, q, e, s, ps));
  PetscCheck(!ferror(fp) && !fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot write %s", tmp);
  PetscFunctionReturn(0);
}

/* ---- close ---- */

static PetscErrorCode OutputClose_Root(Output out, const char *exit_reason, OutputStatus status)
{
  char buf[64], xmf[PETSC_MAX_PATH_LEN + 8], csv[PETSC_MAX_PATH_LEN + 8], csv_tmp[PETSC_MAX_PATH_LEN + 16];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(xmf, sizeof xmf, "%s.xmf", out->base));
  PetscCall(PetscSNPrintf(csv, sizeof csv, "%s.csv", out->base));
  PetscCall(PetscSNPrintf(csv_tmp, sizeof csv_tmp, "%s.part", csv));
  PetscCall(FlushSamples(out));
  PetscCall(Now(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/end_time", buf));
  PetscCall(H5WriteText(out, "/provenance/exit_reason", exit_reason ? exit_reason : ""));
  PetscCall(H5WriteText(out, "/provenance/status", OutputStatuses[status]));
  PetscCall(WriteCsv(out, csv_tmp));
  H5Check(H5Tclose(out->str), out, "close", "the string type");
  out->str = H5I_INVALID_HID;
  H5Check(H5Fclose(out->file), out, "close", "the file");
  out->file = H5I_INVALID_HID;
  /* A failed run is renamed too: it keeps what was computed and says it failed. */
  PetscCall(RenameFile(out->part, out->path));
  PetscCall(WriteXdmf(out, xmf));
  PetscCall(RenameFile(csv_tmp, csv));
  PetscFunctionReturn(0);
}

PetscErrorCode OutputClose(Output *out, const char *exit_reason, OutputStatus status)
{
  Output         o;
  PetscErrorCode ierr = 0;
  char           part[PETSC_MAX_PATH_LEN];
  MPI_Comm       comm;
  PetscMPIInt    rank;

  PetscFunctionBegin;
  if (!out || !*out) PetscFunctionReturn(0);
  o    = *out;
  *out = NULL;
  if (o->rank == 0) {
    ierr = OutputClose_Root(o, exit_reason, status);
    /* After a failure, release what is still open and leave the .part as it
     * is; the error being reported already says what went wrong, so these
     * return values are not checked. */
    if (o->str >= 0) (void)H5Tclose(o->str);
    if (o->file >= 0) (void)H5Fclose(o->file);
  }
  PetscCall(PetscStrncpy(part, o->part, sizeof part));
  PetscCall(PetscFree(o->times));
  PetscCall(PetscFree(o->fields));
  PetscCall(PetscFree(o->samples));
  comm = o->comm;
  rank = o->rank;
  PetscCall(PetscFree(o));
  PetscCall(ShareError(comm, rank, ierr, "close", part));
  PetscFunctionReturn(0);
}
