/* Output layer: one HDF5 file per run with /provenance, /mesh, /fields (every
 * field at every output time), /timeseries (voltage, current, capacity, energy
 * per accepted step), /protocol (which step ended when and why) and /metrics,
 * plus two sidecars beside it: an XDMF file that ParaView opens as a time
 * series and a CSV of the time series. docs/output.md describes the layout.
 *
 * Names. A run writes only the names it derives from output.file: FILE.h5,
 * FILE.h5.part while it runs, and the sidecars FILE.xmf and FILE.csv through
 * FILE.xmf.part and FILE.csv.part. OutputCreate refuses, before it creates
 * anything, a name that is one of the run's inputs, that collides with a
 * sidecar, that is a directory or not a regular file, or a file without write
 * permission (root could write it, but its owner protected it). Every file is
 * created with O_CREAT|O_EXCL|O_NOFOLLOW (the .part as an unnamed O_TMPFILE
 * that is linked in once complete, where the file system allows it), so no
 * symbolic link is ever followed; rename() onto a final name replaces a link,
 * not its target.
 *
 * Crash safety. The file is built in memory (HDF5's core driver) until its
 * first output time is complete, and then appears as FILE.h5.part in one
 * piece. From then on each group's rows go to disk in two flushed phases:
 * the data rows, then the rows of the group's time dataset (/fields/time,
 * /timeseries/time, /protocol/end_time), whose length is the count readers
 * use. A time row on disk therefore always has its data. HDF5 does not order
 * its writes within one flush, so before each phase the file is extended
 * with posix_fallocate beyond everything the phase can allocate: the end of
 * file that HDF5 records never lies beyond the real end (which made killed
 * files unreadable), and a full disk fails in that call, between phases,
 * instead of halfway through HDF5's metadata.
 *
 * Write errors. HDF5 prints nothing (its automatic error stack is off while
 * this file calls it). The first failure raises PETSC_ERR_FILE_WRITE (or
 * PETSC_ERR_LIB if it was not I/O) with one message naming the file and the
 * OS reason, and the output stops writing. OutputClose then points HDF5's
 * descriptor at a memfd that discards its writes, so HDF5's own close cannot
 * write half of what it still caches, and marks the file failed by
 * overwriting fixed-size status, exit_reason and end_time datasets in place:
 * marking needs no new disk space. The file keeps what its last complete
 * flush held. If even marking fails, the .part stays as it is and the error
 * says so.
 *
 * Restart. With every output time the solver stores its state in
 * /restart (OutputWriteRestart): two contiguous slots allocated once and
 * written in turn with pwrite, then a fixed-size count rewritten in place
 * (the count plays the part of a time dataset: readers take slot
 * (count - 1) mod 2). No HDF5 call is made, so nothing of HDF5's structure
 * changes and no flush is needed: a kill at any instant leaves the last
 * complete state. A run file is read back whole into memory
 * (OutputSourceOpen), because the run that continues it may be about to
 * replace it: PrepareNames keeps a restart source that is one of the run's
 * own names until the new file, holding the source's rows up to its state
 * (OutputContinue), takes its place (LinkPart).
 *
 * Only rank 0 touches the file, with serial HDF5; the other ranks hold a
 * handle that only takes part in broadcasting errors, so every rank sees a
 * failure of rank 0 with its message. Fields arrive already gathered on rank
 * 0. This file does not gather fields or the state, compute metrics, decide
 * what a restart may change (src/solve/restart.c does), or describe 2D grids
 * in XDMF yet (see XdmfWriteGrid). */
#define _GNU_SOURCE /* O_TMPFILE, memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "ionstack.h"
#include "summary.h"

#if !defined(PETSC_USE_REAL_DOUBLE)
#error "output.c stores PetscReal as IEEE double; build with a double-precision PETSc"
#endif

#ifndef IONSTACK_GIT
#define IONSTACK_GIT "unknown"
#endif

/* Checks an HDF5 return (herr_t, hid_t, htri_t, ssize_t: negative is
 * failure) and raises a PETSc error that names the operation, the object, the
 * file and, for I/O, the OS reason; the output stops writing after it. */
#define H5Check(expr, out, op, object)                                                                                                               \
  do {                                                                                                                                               \
    if ((expr) < 0) return H5Failure(out, __LINE__, PETSC_FUNCTION_NAME, op, object);                                                                \
  } while (0)

#define PHASE_LABELS "0 void, 1 lithium, 2 electrolyte, 3 active, 4 composite, 5 collector"
/* Storage. A flush that restructures an index (a B-tree node split moves
 * entries to a new node) can be cut by a kill between its writes and lose
 * rows written long before. Chunk indexes therefore hold 2 ISTORE_K chunks
 * per node and groups 2 GROUP_LEAF_K links per node, and a field chunk holds
 * the rows of several output times (FieldChunkRows): a field's index stays
 * one node for its first 256 chunks (5120 output times of a 50-cell field),
 * and adding a chunk rewrites that node in place. Bigger nodes cost file
 * size: 2 ISTORE_K entries of 24-32 bytes per chunked dataset. */
#define ISTORE_K 128
#define GROUP_LEAF_K 64
#define CHUNK_BYTES 8192  /* target size of a field chunk, read and rewritten per row */
#define SAMPLE_CHUNK 512  /* rows per chunk of the extendible 1D datasets (4 KiB) */
#define PROTOCOL_CHUNK 64 /* rows per chunk of /protocol: its rows are long strings */
#define CSV_BLOCK 4096    /* rows read back at a time when writing the CSV */
#define STATUS_LEN 16     /* bytes of the fixed-size /provenance/status */
#define END_TIME_LEN 32   /* ... /provenance/end_time */
#define REASON_LEN 1024   /* ... /provenance/exit_reason */
#define STEP_TEXT_LEN 256 /* /protocol/text: ProtocolStep.text */
#define STEP_REASON_LEN 512
#define GROUP_HEAP_HINT 4096 /* bytes of link names a group holds before its heap moves */
#define RESTART_ROWS 3       /* rows of /fields, /timeseries and /protocol at a stored state, after the caller's scalars */
/* Bytes one phase may allocate besides its new chunks and index nodes
 * (ChunkBytes): object headers, a global-heap collection, HDF5's 2 KiB
 * aggregation blocks. Measured: 0 in phases that add no chunk. */
#define RESERVE_EXTRA (64 * 1024)
#define MESSAGE_LEN 1024

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
  PetscBool cell;    /* one value per cell: goes into the XDMF */
  hsize_t   rows;    /* rows per chunk */
  hsize_t   nchunks; /* chunks written so far (chunks 0 .. nchunks-1) */
} FieldInfo;

struct _n_Output {
  MPI_Comm    comm;
  PetscMPIInt rank;
  char        path[PETSC_MAX_PATH_LEN];     /* final name of the .h5 */
  char        part[PETSC_MAX_PATH_LEN + 8]; /* path.part, the name during the run */
  char        xmf[PETSC_MAX_PATH_LEN + 8], xmf_part[PETSC_MAX_PATH_LEN + 16];
  char        csv[PETSC_MAX_PATH_LEN + 8], csv_part[PETSC_MAX_PATH_LEN + 16];
  hid_t       file, str; /* the file; a variable-length UTF-8 string type (attributes) */
  PetscBool   on_disk;   /* the file is the .part (else still in memory) */
  int         fd;        /* the .part as created here: marks and checks go through it */
  PetscBool   named;     /* fd has its name (else an unnamed O_TMPFILE not linked yet) */
  dev_t       dev;
  ino_t       ino;
  haddr_t     at_status, at_end_time, at_reason; /* file offsets of the fixed-size provenance */

  PetscBool      failed; /* a write failed: nothing more goes through HDF5 */
  PetscErrorCode error_code;
  char           error[MESSAGE_LEN];

  PetscInt  ncells;
  PetscReal length;     /* x extent of the mesh, the XDMF's y and z width in 1D */
  PetscInt  nx, ny;     /* a 2D grid (ny > 1) */
  PetscReal dx, dy, dz; /* its uniform square cells (dx > 0), or else the XDMF's z width (dz) */

  PetscInt   ntimes, times_cap; /* output times in the file */
  PetscReal *times;
  PetscInt   nfields, fields_cap;
  FieldInfo *fields;

  OutputSample *samples; /* buffered samples not yet in the file */
  size_t        nsamples, samples_cap;
  hsize_t       nseries; /* rows of /timeseries/time */
  hsize_t       nsteps;  /* rows of /protocol */

  /* /restart (OutputWriteRestart): the solver state in two slots, written in turn */
  PetscBool restart_ready;                  /* its datasets exist */
  PetscInt  restart_nscalars;               /* the caller's scalars; each slot holds RESTART_ROWS more */
  PetscInt  restart_nstate;                 /* values of the state vector */
  haddr_t   at_scalars, at_state, at_count; /* file offsets of the contiguous datasets */
  long long nrestarts;                      /* states stored so far, /restart/count */
  double   *restart_row;                    /* one slot of /restart/scalars */

  /* a restart from a file at one of this run's names (docs/restart.md) */
  int       source_name; /* 0: the source is at path, 1: at part; -1: elsewhere */
  dev_t     source_dev;
  ino_t     source_ino;
  PetscBool source_pending; /* its history is not copied yet: the source stays where it is */
};

const char *const OutputStatuses[] = {"complete", "failed", "interrupted", "OutputStatus", "OUTPUT_", NULL};

/* ---- errors ---- */

/* snprintf for messages, which are cut to their buffer on purpose. */
static void Format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void Format(char *buf, size_t len, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  (void)vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}

/* Records the first failure (later calls repeat it) and raises it. */
static PetscErrorCode OutputFail(Output out, int line, const char *func, PetscErrorCode code, const char *msg)
{
  if (!out->failed) {
    out->failed     = PETSC_TRUE;
    out->error_code = code;
    (void)PetscStrncpy(out->error, msg, sizeof out->error);
  }
  return PetscError(PETSC_COMM_SELF, line, func, __FILE__, code, PETSC_ERROR_INITIAL, "%s", msg);
}

typedef struct {
  int       os_errno; /* from the innermost "errno = N" of HDF5's file drivers */
  PetscBool io;       /* an H5E_IO error somewhere on the stack */
  char      desc[256];
} H5ErrorInfo;

static herr_t H5ErrorVisit(unsigned n, const H5E_error2_t *e, void *ctx)
{
  H5ErrorInfo *info = (H5ErrorInfo *)ctx;
  const char  *s    = e->desc ? strstr(e->desc, "errno = ") : NULL;

  (void)n;
  if (s && atoi(s + 8) > 0) info->os_errno = atoi(s + 8);
  if (e->maj_num == H5E_IO) info->io = PETSC_TRUE;
  if (e->desc && e->desc[0]) snprintf(info->desc, sizeof info->desc, "%s", e->desc); /* walking down: the innermost stays */
  return 0;
}

/* Turns HDF5's error stack into one message; I/O errors get PETSC_ERR_FILE_WRITE. */
static PetscErrorCode H5Failure(Output out, int line, const char *func, const char *op, const char *object)
{
  H5ErrorInfo info = {0, PETSC_FALSE, ""};
  char        msg[MESSAGE_LEN];

  (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, H5ErrorVisit, &info);
  (void)H5Eclear2(H5E_DEFAULT);
  if (info.os_errno)
    Format(msg, sizeof msg, "Cannot write the output file %s: %s (HDF5 could not %s %s)", out->part, strerror(info.os_errno), op, object);
  else if (info.io)
    Format(msg, sizeof msg, "Cannot write the output file %s: HDF5 could not %s %s (%s)", out->part, op, object, info.desc);
  else
    Format(msg, sizeof msg, "HDF5 could not %s %s in %s: %s", op, object, out->part, info.desc[0] ? info.desc : "no reason given");
  return OutputFail(out, line, func, info.os_errno || info.io ? PETSC_ERR_FILE_WRITE : PETSC_ERR_LIB, msg);
}

/* A system call on the output failed with err (an errno value). */
static PetscErrorCode OsFailure(Output out, int line, const char *func, int err, const char *what, const char *name)
{
  char msg[MESSAGE_LEN];

  Format(msg, sizeof msg, "Cannot write the output file %s: %s (could not %s)", name, strerror(err), what);
  return OutputFail(out, line, func, PETSC_ERR_FILE_WRITE, msg);
}
#define OsCheck(cond, out, err, what, name)                                                                                                          \
  do {                                                                                                                                               \
    if (!(cond)) return OsFailure(out, __LINE__, PETSC_FUNCTION_NAME, err, what, name);                                                              \
  } while (0)

/* HDF5 prints its whole error stack by default; this file reports errors
 * itself, so printing is off while it calls HDF5 and back afterwards. */
typedef struct {
  H5E_auto2_t func;
  void       *data;
} H5Quiet;

static void QuietBegin(H5Quiet *q)
{
  if (H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) < 0) q->func = NULL, q->data = NULL;
  (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void QuietEnd(const H5Quiet *q)
{
  (void)H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* Rank 0 did the work and got ierr; every rank returns it, with its message. */
static PetscErrorCode ShareError(MPI_Comm comm, PetscMPIInt rank, PetscErrorCode ierr)
{
  char msg[MESSAGE_LEN] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, comm));
  if (!ierr) PetscFunctionReturn(0);
  if (rank == 0) {
    const char *text     = NULL;
    char       *specific = NULL;
    (void)PetscErrorMessage(ierr, &text, &specific);
    (void)PetscStrncpy(msg, specific && specific[0] ? specific : (text ? text : ""), sizeof msg);
  }
  PetscCallMPI(MPI_Bcast(msg, (PetscMPIInt)sizeof msg, MPI_CHAR, 0, comm));
  if (rank == 0) PetscCall(ierr);
  SETERRQ(PETSC_COMM_SELF, ierr, "%s", msg);
}

/* Later calls on an output that failed repeat its first error. */
static PetscErrorCode CheckNotFailed(Output out)
{
  PetscFunctionBegin;
  PetscCheck(!out->failed, PETSC_COMM_SELF, out->error_code, "%s", out->error);
  PetscFunctionReturn(0);
}

/* ---- small HDF5 helpers; every path is absolute ("/fields/time") ---- */

/* A fixed-size, NUL-terminated UTF-8 string type of n bytes. */
static PetscErrorCode FixedString(Output out, size_t n, hid_t *t)
{
  PetscFunctionBegin;
  H5Check(*t = H5Tcopy(H5T_C_S1), out, "copy the string type for", "text");
  H5Check(H5Tset_size(*t, n), out, "size the string type for", "text");
  H5Check(H5Tset_strpad(*t, H5T_STR_NULLTERM), out, "set the padding of the string type for", "text");
  H5Check(H5Tset_cset(*t, H5T_CSET_UTF8), out, "set UTF-8 on the string type for", "text");
  PetscFunctionReturn(0);
}

/* Copies text into a zeroed buffer of len bytes, cut at a UTF-8 character boundary. */
static void CopyText(char *buf, size_t len, const char *text)
{
  size_t n = text ? strlen(text) : 0;

  memset(buf, 0, len);
  if (n > len - 1) {
    n = len - 1;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
      n--; /* text[n] would start the cut: keep whole characters */
  }
  if (n) memcpy(buf, text, n);
}

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

/* Groups get room for their link names up front, so adding a dataset later
 * rewrites the name heap in place instead of moving it. */
static PetscErrorCode H5CreateGroup(Output out, const char *path)
{
  hid_t g, gcpl;

  PetscFunctionBegin;
  H5Check(gcpl = H5Pcreate(H5P_GROUP_CREATE), out, "create a property list for group", path);
  H5Check(H5Pset_local_heap_size_hint(gcpl, GROUP_HEAP_HINT), out, "size the name heap of group", path);
  H5Check(g = H5Gcreate2(out->file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT), out, "create group", path);
  H5Check(H5Gclose(g), out, "close group", path);
  H5Check(H5Pclose(gcpl), out, "close the property list of group", path);
  PetscFunctionReturn(0);
}

/* Scalar dataset of memtype with a units attribute; an existing dataset of
 * that name is replaced. */
static PetscErrorCode H5WriteScalar(Output out, const char *path, hid_t memtype, hid_t filetype, const void *value, const char *units)
{
  hid_t  space, d;
  htri_t exists;

  PetscFunctionBegin;
  {
    /* H5Lexists fails, rather than says no, when a group on the way is missing: look at each in turn */
    char prefix[512];
    exists = 1;
    for (const char *c = path + 1; exists > 0; c++) {
      if (*c && *c != '/') continue;
      PetscCheck((size_t)(c - path) < sizeof prefix, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "HDF5 path %s is too long", path);
      memcpy(prefix, path, (size_t)(c - path));
      prefix[c - path] = 0;
      H5Check(exists = H5Lexists(out->file, prefix, H5P_DEFAULT), out, "look up", prefix);
      if (!*c) break;
    }
  }
  if (exists > 0) H5Check(H5Ldelete(out->file, path, H5P_DEFAULT), out, "replace", path);
  H5Check(space = H5Screate(H5S_SCALAR), out, "create a scalar dataspace for", path);
  {
    hid_t lcpl; /* groups on the way are made (metrics/stack/<part>/...) */
    H5Check(lcpl = H5Pcreate(H5P_LINK_CREATE), out, "create a link property list for", path);
    H5Check(H5Pset_create_intermediate_group(lcpl, 1), out, "set intermediate groups for", path);
    H5Check(d = H5Dcreate2(out->file, path, filetype, space, lcpl, H5P_DEFAULT, H5P_DEFAULT), out, "create dataset", path);
    H5Check(H5Pclose(lcpl), out, "close the link property list of", path);
  }
  H5Check(H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, value), out, "write dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", units));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscFunctionReturn(0);
}

/* Text is a scalar fixed-size UTF-8 string with an empty units attribute;
 * len 0 sizes it to the value, otherwise it has len bytes (the value cut to
 * fit) so that it can be overwritten in place later. */
static PetscErrorCode H5WriteText(Output out, const char *path, const char *value, size_t len)
{
  const char *v = value ? value : "";
  size_t      n = len ? len : strlen(v) + 1;
  char       *buf;
  hid_t       t;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n, &buf));
  CopyText(buf, n, v);
  PetscCall(FixedString(out, n, &t));
  PetscCall(H5WriteScalar(out, path, t, t, buf, ""));
  H5Check(H5Tclose(t), out, "close the string type of", path);
  PetscCall(PetscFree(buf));
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

/* An empty 1D dataset that H5AppendSeries extends; fill is what reads of
 * rows never written return. */
static PetscErrorCode H5CreateSeries(Output out, const char *path, hid_t filetype, const char *units, hsize_t chunk, const double *fill)
{
  hsize_t zero = 0, unlimited = H5S_UNLIMITED;
  hid_t   space, dcpl, d;

  PetscFunctionBegin;
  H5Check(space = H5Screate_simple(1, &zero, &unlimited), out, "create a dataspace for", path);
  H5Check(dcpl = H5Pcreate(H5P_DATASET_CREATE), out, "create a property list for", path);
  H5Check(H5Pset_chunk(dcpl, 1, &chunk), out, "set the chunk size of", path);
  if (fill) H5Check(H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, fill), out, "set the fill value of", path);
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

/* Reads rows [start, start+n) of a 1D dataset of file; *size gets its length. */
static PetscErrorCode H5ReadSeries(Output out, hid_t file, const char *path, hid_t memtype, hsize_t start, hsize_t n, void *data, hsize_t *size)
{
  hid_t d, fspace, mspace;

  PetscFunctionBegin;
  H5Check(d = H5Dopen2(file, path, H5P_DEFAULT), out, "open dataset", path);
  H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
  H5Check(H5Sget_simple_extent_dims(fspace, size, NULL), out, "get the size of", path);
  if (n) {
    PetscCheck(start + n <= *size, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s in %s has %llu rows, fewer than %llu", path, out->path,
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

/* File offset of a contiguous dataset's bytes. */
static PetscErrorCode H5Offset(Output out, const char *path, haddr_t *offset)
{
  hid_t d;

  PetscFunctionBegin;
  H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
  *offset = H5Dget_offset(d);
  H5Check(H5Dclose(d), out, "close dataset", path);
  PetscCheck(*offset != HADDR_UNDEF, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s in %s has no storage", path, out->part);
  PetscFunctionReturn(0);
}

/* Overwrites the bytes of a fixed-size text dataset: in memory through HDF5,
 * on disk directly at its offset (no new space, and HDF5 never rewrites raw
 * data it was not asked to). */
static PetscErrorCode OverwriteText(Output out, const char *path, haddr_t offset, size_t len, const char *value)
{
  char  buf[REASON_LEN];
  hid_t d, t;

  PetscFunctionBegin;
  CopyText(buf, len, value);
  if (!out->on_disk) {
    PetscCall(FixedString(out, len, &t));
    H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
    H5Check(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), out, "write dataset", path);
    H5Check(H5Dclose(d), out, "close dataset", path);
    H5Check(H5Tclose(t), out, "close the string type of", path);
  } else {
    ssize_t n = pwrite(out->fd, buf, len, (off_t)offset);
    OsCheck(n == (ssize_t)len, out, n < 0 ? errno : ENOSPC, "mark /provenance in", out->part);
  }
  PetscFunctionReturn(0);
}

/* ---- disk space and flushes ---- */

/* Before a phase that may allocate `bytes` (new chunks and their index
 * nodes, ChunkBytes): allocate that much, and RESERVE_EXTRA, on disk past
 * HDF5's end of allocation. HDF5 trims the file back to its end of
 * allocation at the phase's flush. */
static PetscErrorCode Reserve(Output out, size_t bytes)
{
  haddr_t eoa;
  int     err;

  PetscFunctionBegin;
  if (!out->on_disk) PetscFunctionReturn(0);
  H5Check(H5Fget_eoa(out->file, &eoa), out, "get the allocated size of", "the file");
  err = posix_fallocate(out->fd, (off_t)eoa, (off_t)(bytes + RESERVE_EXTRA));
  OsCheck(!err || err == EINVAL || err == EOPNOTSUPP, out, err, "reserve disk space for the next output", out->part);
  PetscFunctionReturn(0);
}

/* Ends a phase: on disk, everything written so far reaches the file. */
static PetscErrorCode Flush(Output out)
{
  PetscFunctionBegin;
  if (out->on_disk) H5Check(H5Fflush(out->file, H5F_SCOPE_GLOBAL), out, "flush", "the file");
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

/* The directory part of path ("." if none). */
static void DirectoryOf(const char *path, char *dir, size_t len)
{
  const char *slash = strrchr(path, '/');

  if (!slash)
    snprintf(dir, len, ".");
  else if (slash == path)
    snprintf(dir, len, "/");
  else
    snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Removes a stale file, or a link (unlink never follows one). */
static PetscErrorCode RemoveIfPresent(const char *path)
{
  PetscFunctionBegin;
  PetscCheck(!unlink(path) || errno == ENOENT, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot remove the earlier output file %s: %s", path,
             strerror(errno));
  PetscFunctionReturn(0);
}

/* Creates name for writing; never follows a link and never opens an existing
 * file: a stale file or a link there is removed first (unlink does not follow
 * links either). */
static PetscErrorCode CreateExclusive(Output out, const char *name, FILE **fp)
{
  int fd;

  PetscFunctionBegin;
  *fp = NULL;
  OsCheck(!unlink(name) || errno == ENOENT, out, errno, "remove a stale", name);
  fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  OsCheck(fd >= 0, out, errno, "create", name);
  *fp = fdopen(fd, "w");
  if (!*fp) close(fd);
  OsCheck(*fp, out, errno, "open a stream on", name);
  PetscFunctionReturn(0);
}

/* Renames from to to if from is still the file this run created. */
static PetscErrorCode RenameOwn(Output out, const char *from, const char *to, dev_t dev, ino_t ino)
{
  struct stat st;

  PetscFunctionBegin;
  OsCheck(!lstat(from, &st), out, errno, "find", from);
  PetscCheck(st.st_dev == dev && st.st_ino == ino, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE,
             "Cannot rename %s to %s: another process replaced %s during the run; the output of this run is lost", from, to, from);
  OsCheck(!rename(from, to), out, errno, "rename it to its final name", from);
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
  const PetscBool grouped = (PetscBool)!strcmp(what, "metric"); /* a metric may sit in a group: stack/anode/thickness */

  PetscFunctionBegin;
  PetscCheck(name && name[0], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Output %s needs a non-empty name", what);
  for (const char *s = name; *s; s++)
    PetscCheck((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.' || *s == '+' ||
                   (grouped && *s == '/' && s > name && s[1] && s[1] != '/'),
               PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Output %s name \"%s\" may only use letters, digits and _ - . +%s", what, name,
               grouped ? " (and / between group names)" : "");
  PetscCheck(strlen(name) < sizeof(((FieldInfo *)0)->name), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Output %s name \"%s\" is too long", what, name);
  PetscFunctionReturn(0);
}

/* ---- the names a run writes ---- */

/* One of the run's names may be written if it does not exist, or is a link
 * (replaced or removed, never followed), or is a writable regular file that is
 * not one of the run's inputs. role says what the name is, for the message. */
static PetscErrorCode CheckOutputName(const char *name, const char *role, const Params *p)
{
  struct stat ls, st, in;

  PetscFunctionBegin;
  for (PetscInt i = 0; p && i < p->ninputs; i++)
    PetscCheck(!p->inputs[i] || strcmp(name, p->inputs[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s %s is an input of this run; choose another output.file", role, name);
  if (lstat(name, &ls)) {
    PetscCheck(errno == ENOENT || errno == ENOTDIR, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot check %s %s: %s", role, name, strerror(errno));
    PetscFunctionReturn(0);
  }
  if (!stat(name, &st))
    for (PetscInt i = 0; p && i < p->ninputs; i++)
      PetscCheck(!p->inputs[i] || stat(p->inputs[i], &in) || in.st_dev != st.st_dev || in.st_ino != st.st_ino, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s %s is the file %s, an input of this run; choose another output.file", role, name, p->inputs[i]);
  PetscCheck(!S_ISDIR(ls.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s is a directory; output.file names a file, e.g. %s/run.h5", role,
             name, name);
  if (S_ISLNK(ls.st_mode)) PetscFunctionReturn(0);
  PetscCheck(S_ISREG(ls.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s exists and is not a regular file; choose another output.file", role,
             name);
  /* root may write anything; a file without any write bit is one its owner protected */
  PetscCheck((ls.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) && !access(name, W_OK), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s %s exists and is read-only; ionstack does not replace a file it cannot write: remove it or choose another output.file", role, name);
  PetscFunctionReturn(0);
}

/* The six names, their collisions and what is at them now; then the
 * directories and the removal of an earlier run's files. */
static PetscErrorCode PrepareNames(Output out, const Params *p)
{
  const char *names[6] = {out->path, out->part, out->xmf, out->xmf_part, out->csv, out->csv_part};
  char        roles[6][PETSC_MAX_PATH_LEN + 64];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(roles[0], sizeof roles[0], "output.file"));
  PetscCall(PetscSNPrintf(roles[1], sizeof roles[1], "the temporary name of output.file %s,", out->path));
  PetscCall(PetscSNPrintf(roles[2], sizeof roles[2], "the XDMF sidecar of output.file %s,", out->path));
  PetscCall(PetscSNPrintf(roles[3], sizeof roles[3], "the temporary XDMF sidecar of output.file %s,", out->path));
  PetscCall(PetscSNPrintf(roles[4], sizeof roles[4], "the CSV sidecar of output.file %s,", out->path));
  PetscCall(PetscSNPrintf(roles[5], sizeof roles[5], "the temporary CSV sidecar of output.file %s,", out->path));
  for (int i = 0; i < 6; i++)
    for (int j = i + 1; j < 6; j++)
      PetscCheck(strcmp(names[i], names[j]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "output.file %s collides with its own sidecar %s (the .xmf and .csv sidecars take the output file's name with those extensions); "
                 "name the output file with .h5, e.g. %.*s.h5",
                 out->path, names[j], (int)(strlen(out->xmf) - 4), out->xmf);
  for (int i = 0; i < 6; i++)
    PetscCall(CheckOutputName(names[i], roles[i], p));
  PetscCall(MakeParentDirectories(out->path));
  /* A restart from this run's own file (the common case: a run killed at its
   * time limit, restarted with the same config) keeps it until the new file,
   * which holds its history, takes its place (ReleaseSource). */
  out->source_name = -1;
  if (p && p->restart_file[0]) {
    struct stat src, st;
    if (!stat(p->restart_file, &src))
      for (int i = 0; i < 2; i++)
        if (!stat(names[i], &st) && st.st_dev == src.st_dev && st.st_ino == src.st_ino) {
          out->source_name = i, out->source_dev = src.st_dev, out->source_ino = src.st_ino;
          out->source_pending = PETSC_TRUE;
        }
  }
  /* An earlier run's files at these names would pose as this run's results. */
  for (int i = 0; i < 6; i++)
    if (i != out->source_name) PetscCall(RemoveIfPresent(names[i]));
  if (p && p->restart_file[0]) {
    char next[PETSC_MAX_PATH_LEN + 16]; /* left by a restart killed in the instant between naming its file and renaming it (LinkPart) */
    PetscCall(PetscSNPrintf(next, sizeof next, "%s.new", out->part));
    PetscCall(RemoveIfPresent(next));
  }
  PetscFunctionReturn(0);
}

/* Removes the restart source at name `which` (0 path, 1 part) if it is still
 * the file the run was restarted from. */
static void ReleaseSource(Output out, int which)
{
  const char *name = which ? out->part : out->path;
  struct stat st;

  if (out->source_name != which) return;
  if (!lstat(name, &st) && st.st_dev == out->source_dev && st.st_ino == out->source_ino) (void)unlink(name);
  out->source_name = -1;
}

/* Opens the descriptor the .part will have: an unnamed file in its directory,
 * linked in once it holds a complete file; where O_TMPFILE is not supported
 * (NFS, Lustre), the .part itself, created exclusively. */
static PetscErrorCode OpenPart(Output out)
{
  char        dir[PETSC_MAX_PATH_LEN];
  struct stat st;

  PetscFunctionBegin;
  DirectoryOf(out->part, dir, sizeof dir);
  out->fd    = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
  out->named = PETSC_FALSE;
  if (out->fd < 0) {
    PetscCheck(errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOENT, PETSC_COMM_SELF,
               errno == ENOSPC || errno == EDQUOT ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN, "Cannot create the output file %s: %s", out->part,
               strerror(errno));
    ReleaseSource(out, 1); /* without O_TMPFILE the .part has its name from the start: a restart source there is in memory already */
    out->fd    = open(out->part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    out->named = PETSC_TRUE;
    PetscCheck(out->fd >= 0, PETSC_COMM_SELF, errno == ENOSPC || errno == EDQUOT ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN,
               "Cannot create the output file %s: %s", out->part, strerror(errno));
  }
  PetscCheck(!fstat(out->fd, &st), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot stat the output file %s: %s", out->part, strerror(errno));
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  PetscFunctionReturn(0);
}

/* Gives the unnamed .part its name; the link fails rather than replace
 * anything that appeared there. */
static PetscErrorCode LinkPart(Output out)
{
  char proc[64];

  PetscFunctionBegin;
  PetscCheck(!out->source_pending, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s would replace the file it restarts from before holding its history",
             out->part);
  if (!out->named) {
    struct stat st;
    char        next[PETSC_MAX_PATH_LEN + 16];
    /* a restart source at the .part is replaced by its successor, which holds
     * everything it held, in one rename: one of the two is always there */
    const PetscBool replace =
        (PetscBool)(out->source_name == 1 && !lstat(out->part, &st) && st.st_dev == out->source_dev && st.st_ino == out->source_ino);
    const char *name = replace ? next : out->part;

    PetscCall(PetscSNPrintf(next, sizeof next, "%s.new", out->part));
    if (replace) OsCheck(!unlink(next) || errno == ENOENT, out, errno, "remove a stale", next);
    /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd is the unprivileged way */
    if (linkat(out->fd, "", AT_FDCWD, name, AT_EMPTY_PATH)) {
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", out->fd);
      PetscCheck(errno != EEXIST, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE,
                 "Cannot create the output file %s: it appeared during the run; is another run writing to the same output.file?", name);
      OsCheck(!linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW), out, errno, "give the file its name", name);
    }
    if (replace) {
      OsCheck(!rename(next, out->part), out, errno, "put it in the place of the file it restarts from", next);
      out->source_name = -1;
    }
    out->named = PETSC_TRUE;
  }
  ReleaseSource(out, 0); /* a finished (or interrupted) file restarted: its successor is on disk now */
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteAll(Output out, const void *buf, size_t size)
{
  const char *b = (const char *)buf;

  PetscFunctionBegin;
  for (size_t done = 0; done < size;) {
    ssize_t n = pwrite(out->fd, b + done, size - done, (off_t)done);
    OsCheck(n > 0, out, n < 0 ? errno : ENOSPC, "write", out->part);
    done += (size_t)n;
  }
  PetscFunctionReturn(0);
}

/* Moves the in-memory file to disk as the .part, in one piece, and reopens it
 * there unless the run is closing. A failure leaves the file in memory. */
static PetscErrorCode CommitToDisk(Output out, PetscBool reopen)
{
  ssize_t     size;
  void       *image;
  hid_t       fapl;
  void       *handle;
  struct stat st;

  PetscFunctionBegin;
  H5Check(H5Fflush(out->file, H5F_SCOPE_GLOBAL), out, "flush", "the file in memory");
  H5Check(size = H5Fget_file_image(out->file, NULL, 0), out, "get the size of", "the file in memory");
  PetscCall(PetscMalloc((size_t)size, &image));
  if (H5Fget_file_image(out->file, image, (size_t)size) < 0) {
    PetscCall(PetscFree(image));
    H5Check(-1, out, "copy", "the file in memory");
  }
  {
    const PetscErrorCode ierr = WriteAll(out, image, (size_t)size);
    PetscCall(PetscFree(image)); /* on a write error too */
    PetscCall(ierr);
  }
  PetscCall(LinkPart(out));
  out->on_disk = PETSC_TRUE; /* complete on disk: closing the copy in memory can only free memory */
  (void)H5Fclose(out->file);
  out->file = H5I_INVALID_HID;
  if (!reopen) PetscFunctionReturn(0);
  H5Check(fapl = H5Pcreate(H5P_FILE_ACCESS), out, "create a property list for", "the file");
  H5Check(H5Pset_fapl_sec2(fapl), out, "choose the POSIX driver for", "the file");
  /* no chunk cache: rows reach the file in H5Dwrite, whose failure leaves its
   * dataset open to be closed later, instead of in H5Dclose, which would
   * drop the dataset's id on failure while the dataset keeps the file open */
  H5Check(H5Pset_cache(fapl, 0, 0, 0, 1.0), out, "turn off the chunk cache of", "the file");
  H5Check(out->file = H5Fopen(out->part, H5F_ACC_RDWR, fapl), out, "open", "the file");
  H5Check(H5Pclose(fapl), out, "close the property list of", "the file");
  H5Check(H5Fget_vfd_handle(out->file, H5P_DEFAULT, &handle), out, "get the descriptor of", "the file");
  OsCheck(!fstat(*(int *)handle, &st), out, errno, "check", out->part);
  PetscCheck(st.st_dev == out->dev && st.st_ino == out->ino, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE,
             "Cannot write the output file %s: another process replaced it as it was created", out->part);
  PetscFunctionReturn(0);
}

/* ---- command line ---- */

/* Appends arg quoted for a POSIX shell: as is if it has only characters the
 * shell leaves alone, else in single quotes with each ' written as '\''. */
static void ShellQuote(const char *arg, char *buf, size_t *len)
{
  PetscBool plain = (PetscBool)(arg[0] != '\0');

  for (const char *s = arg; *s && plain; s++)
    plain = (PetscBool)(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/.,:@%", *s) != NULL);
  if (plain) {
    if (buf) memcpy(buf + *len, arg, strlen(arg));
    *len += strlen(arg);
    return;
  }
  if (buf) buf[*len] = '\'';
  (*len)++;
  for (const char *s = arg; *s; s++) {
    if (*s == '\'') {
      if (buf) memcpy(buf + *len, "'\\''", 4);
      *len += 4;
    } else {
      if (buf) buf[*len] = *s;
      (*len)++;
    }
  }
  if (buf) buf[*len] = '\'';
  (*len)++;
}

/* argv as one line that sh parses back into the same arguments. */
static PetscErrorCode CommandLine(int argc, char **argv, char **cmd)
{
  size_t len = 0;

  PetscFunctionBegin;
  for (int pass = 0; pass < 2; pass++) {
    if (pass) PetscCall(PetscMalloc1(len + 1, cmd));
    len = 0;
    for (int i = 0; i < argc && argv; i++) {
      if (i) {
        if (pass) (*cmd)[len] = ' ';
        len++;
      }
      ShellQuote(argv[i] ? argv[i] : "", pass ? *cmd : NULL, &len);
    }
  }
  (*cmd)[len] = '\0';
  PetscFunctionReturn(0);
}

/* ---- create ---- */

static PetscErrorCode WriteProvenance(Output out, const Params *p, int argc, char **argv)
{
  char        buf[256];
  char       *cmd;
  unsigned    maj, min, rel;
  PetscMPIInt size;
  long long   nranks;
  const hid_t ll   = H5T_NATIVE_LLONG;
  const hid_t i64  = H5T_STD_I64LE;
  const char *prov = "/provenance";

  PetscFunctionBegin;
  PetscCall(H5CreateGroup(out, prov));
  PetscCall(H5WriteText(out, "/provenance/ionstack_version", IONSTACK_VERSION, 0));
  PetscCall(H5WriteText(out, "/provenance/git_revision", IONSTACK_GIT, 0));
  PetscCall(PetscGetVersion(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/petsc_version", buf, 0));
  H5Check(H5get_libversion(&maj, &min, &rel), out, "get the library version for", prov);
  PetscCall(PetscSNPrintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel));
  PetscCall(H5WriteText(out, "/provenance/hdf5_version", buf, 0));
  PetscCallMPI(MPI_Comm_size(out->comm, &size));
  nranks = size;
  PetscCall(H5WriteScalar(out, "/provenance/mpi_size", ll, i64, &nranks, "1"));
  PetscCall(PetscGetHostName(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/hostname", buf, 0));
  PetscCall(CommandLine(argc, argv, &cmd));
  PetscCall(H5WriteText(out, "/provenance/command_line", cmd, 0));
  PetscCall(PetscFree(cmd));
  PetscCall(H5WriteText(out, "/provenance/config_file", p ? p->config_file : "", 0));
  PetscCall(H5WriteText(out, "/provenance/config", p && p->resolved_yaml ? p->resolved_yaml : "", 0));
  PetscCall(Now(buf, sizeof buf));
  PetscCall(H5WriteText(out, "/provenance/start_time", buf, 0));
  /* fixed size, so that closing overwrites them in place */
  PetscCall(H5WriteText(out, "/provenance/end_time", "", END_TIME_LEN));
  PetscCall(H5WriteText(out, "/provenance/exit_reason", "", REASON_LEN));
  PetscCall(H5WriteText(out, "/provenance/status", "running", STATUS_LEN));
  PetscCall(H5Offset(out, "/provenance/end_time", &out->at_end_time));
  PetscCall(H5Offset(out, "/provenance/exit_reason", &out->at_reason));
  PetscCall(H5Offset(out, "/provenance/status", &out->at_status));
  PetscFunctionReturn(0);
}

/* /mesh/interface_faces: one row per interface face, in the order of the
 * interface_current_density values: x, y of its centre, its normal, its area. */
static PetscErrorCode WriteInterfaceFaces(Output out, const OutputMesh *mesh)
{
  const char *path    = "/mesh/interface_faces";
  hsize_t     dims[2] = {(hsize_t)mesh->ninterfaces, 4};
  hid_t       space, d;

  PetscFunctionBegin;
  H5Check(space = H5Screate_simple(2, dims, NULL), out, "create a dataspace for", path);
  H5Check(d = H5Dcreate2(out->file, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), out, "create dataset", path);
  if (mesh->ninterfaces) H5Check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, mesh->interfaces), out, "write", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "columns", "x (m), y (m), normal (0: x, 1: y), area per unit depth (m)"));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteMesh(Output out, const OutputMesh *mesh)
{
  const PetscInt nx = out->ny > 1 ? out->nx : mesh->ncells;
  int           *phase;
  hid_t          d;

  PetscFunctionBegin;
  PetscCall(H5CreateGroup(out, "/mesh"));
  PetscCall(H5WriteArray(out, "/mesh/x_faces", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (hsize_t)nx + 1, mesh->x_faces, "m"));
  PetscCall(H5WriteArray(out, "/mesh/x_centres", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (hsize_t)nx, mesh->x_centres, "m"));
  if (out->ny > 1) {
    const long long dim = 2;
    PetscCall(H5WriteScalar(out, "/mesh/dim", H5T_NATIVE_LLONG, H5T_STD_I64LE, &dim, "1"));
    PetscCall(H5WriteArray(out, "/mesh/y_faces", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (hsize_t)out->ny + 1, mesh->y_faces, "m"));
    PetscCall(H5WriteArray(out, "/mesh/y_centres", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, (hsize_t)out->ny, mesh->y_centres, "m"));
    PetscCall(WriteInterfaceFaces(out, mesh));
  }
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
  const double nan = NAN; /* a time row that was never written reads as NaN, not as t = 0 */
  hid_t        root, fapl, fcpl, t;

  PetscFunctionBegin;
  PetscCheck(mesh && mesh->ncells > 0 && mesh->x_faces && mesh->x_centres && mesh->phase, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL,
             "OutputCreate needs a mesh with cells, faces, centres and phases on rank 0");
  out->ncells = mesh->ncells;
  out->nx = mesh->ny > 1 ? mesh->nx : mesh->ncells, out->ny = mesh->ny > 1 ? mesh->ny : 1;
  PetscCheck(out->nx * out->ny == out->ncells && (out->ny == 1 || mesh->y_faces), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "OutputCreate: a 2D mesh needs nx*ny cells and its y faces");
  out->length = mesh->x_faces[out->nx] - mesh->x_faces[0];
  if (out->ny > 1) { /* square uniform cells take the XDMF's CoRectMesh; any other grid its RectMesh */
    const PetscReal dx = mesh->x_faces[1] - mesh->x_faces[0], dy = mesh->y_faces[1] - mesh->y_faces[0];
    PetscBool       uniform = (PetscBool)(PetscAbsReal(dx - dy) <= 1e-9 * dy);
    for (PetscInt i = 0; i < out->nx && uniform; i++)
      uniform = (PetscBool)(PetscAbsReal(mesh->x_faces[i + 1] - mesh->x_faces[i] - dx) <= 1e-9 * dx);
    for (PetscInt j = 0; j < out->ny && uniform; j++)
      uniform = (PetscBool)(PetscAbsReal(mesh->y_faces[j + 1] - mesh->y_faces[j] - dy) <= 1e-9 * dy);
    out->dx = uniform ? dx : 0, out->dy = uniform ? dy : 0, out->dz = dy;
  }

  PetscCall(PrepareNames(out, p));
  PetscCall(OpenPart(out));

  H5Check(out->str = H5Tcopy(H5T_C_S1), out, "copy the string type for", "attributes");
  H5Check(H5Tset_size(out->str, H5T_VARIABLE), out, "make variable-length the string type for", "attributes");
  H5Check(H5Tset_cset(out->str, H5T_CSET_UTF8), out, "set UTF-8 on the string type for", "attributes");
  H5Check(fapl = H5Pcreate(H5P_FILE_ACCESS), out, "create a property list for", "the file");
  H5Check(H5Pset_fapl_core(fapl, 1 << 20, 0), out, "choose the in-memory driver for", "the file");
  H5Check(fcpl = H5Pcreate(H5P_FILE_CREATE), out, "create a property list for", "the file");
  H5Check(H5Pset_istore_k(fcpl, ISTORE_K), out, "size the chunk index nodes of", "the file");
  H5Check(H5Pset_sym_k(fcpl, 16, GROUP_LEAF_K), out, "size the group nodes of", "the file");
  H5Check(out->file = H5Fcreate(out->part, H5F_ACC_TRUNC, fcpl, fapl), out, "create", "the file in memory");
  H5Check(H5Pclose(fapl), out, "close the property list of", "the file");
  H5Check(H5Pclose(fcpl), out, "close the property list of", "the file");

  H5Check(root = H5Gopen2(out->file, "/", H5P_DEFAULT), out, "open group", "/");
  PetscCall(H5WriteStringAttribute(out, root, "/", "format", "ionstack output 1 (docs/output.md)"));
  H5Check(H5Gclose(root), out, "close group", "/");

  PetscCall(WriteProvenance(out, p, argc, argv));
  if (p && p->point_count > 0) PetscCall(SweepPointWrite(out->file, p)); /* summary.c: /sweep, for collect */
  PetscCall(WriteMesh(out, mesh));

  PetscCall(H5CreateGroup(out, "/fields"));
  PetscCall(H5CreateSeries(out, "/fields/time", H5T_IEEE_F64LE, "s", SAMPLE_CHUNK, &nan));

  PetscCall(H5CreateGroup(out, "/timeseries"));
  PetscCall(H5CreateSeries(out, "/timeseries/time", H5T_IEEE_F64LE, "s", SAMPLE_CHUNK, &nan));
  PetscCall(H5CreateSeries(out, "/timeseries/voltage", H5T_IEEE_F64LE, "V", SAMPLE_CHUNK, NULL));
  PetscCall(H5CreateSeries(out, "/timeseries/current", H5T_IEEE_F64LE, "A/m^2", SAMPLE_CHUNK, NULL));
  PetscCall(H5CreateSeries(out, "/timeseries/capacity", H5T_IEEE_F64LE, "C/m^2", SAMPLE_CHUNK, NULL));
  PetscCall(H5CreateSeries(out, "/timeseries/capacity_mAh_per_cm2", H5T_IEEE_F64LE, "mAh/cm^2", SAMPLE_CHUNK, NULL));
  PetscCall(H5CreateSeries(out, "/timeseries/energy", H5T_IEEE_F64LE, "J/m^2", SAMPLE_CHUNK, NULL));
  PetscCall(H5CreateSeries(out, "/timeseries/step", H5T_STD_I64LE, "1", SAMPLE_CHUNK, NULL));
  PetscCall(H5CreateSeries(out, "/timeseries/protocol_step", H5T_STD_I64LE, "1", SAMPLE_CHUNK, NULL));

  PetscCall(H5CreateGroup(out, "/protocol"));
  PetscCall(H5CreateSeries(out, "/protocol/index", H5T_STD_I64LE, "1", PROTOCOL_CHUNK, NULL));
  PetscCall(FixedString(out, STEP_TEXT_LEN, &t));
  PetscCall(H5CreateSeries(out, "/protocol/text", t, "", PROTOCOL_CHUNK, NULL));
  H5Check(H5Tclose(t), out, "close the string type of", "/protocol/text");
  PetscCall(FixedString(out, STEP_REASON_LEN, &t));
  PetscCall(H5CreateSeries(out, "/protocol/end_reason", t, "", PROTOCOL_CHUNK, NULL));
  H5Check(H5Tclose(t), out, "close the string type of", "/protocol/end_reason");
  PetscCall(H5CreateSeries(out, "/protocol/capacity", H5T_IEEE_F64LE, "mAh/cm^2", PROTOCOL_CHUNK, &nan));
  PetscCall(H5CreateSeries(out, "/protocol/energy", H5T_IEEE_F64LE, "Wh/m^2", PROTOCOL_CHUNK, &nan));
  PetscCall(H5CreateSeries(out, "/protocol/mean_voltage", H5T_IEEE_F64LE, "V", PROTOCOL_CHUNK, &nan));
  PetscCall(H5CreateSeries(out, "/protocol/end_time", H5T_IEEE_F64LE, "s", PROTOCOL_CHUNK, &nan));

  PetscCall(H5CreateGroup(out, "/metrics"));
  PetscCall(H5CreateGroup(out, "/restart")); /* now, so that the root group never grows on disk */
  PetscFunctionReturn(0);
}

/* Releases what rank 0 holds; nothing here reports errors (the caller's
 * error is the one that matters). */
static void ReleaseRoot(Output out)
{
  if (out->file >= 0 && H5Iis_valid(out->file) > 0) (void)H5Fclose(out->file);
  out->file = H5I_INVALID_HID;
  if (out->str >= 0 && H5Iis_valid(out->str) > 0) (void)H5Tclose(out->str);
  out->str = H5I_INVALID_HID;
  if (out->fd >= 0) (void)close(out->fd);
  out->fd = -1;
}

static PetscErrorCode OutputFree(Output *out)
{
  PetscFunctionBegin;
  PetscCall(PetscFree((*out)->times));
  PetscCall(PetscFree((*out)->fields));
  PetscCall(PetscFree((*out)->samples));
  PetscCall(PetscFree((*out)->restart_row));
  PetscCall(PetscFree(*out));
  PetscFunctionReturn(0);
}

PetscErrorCode OutputCreate(MPI_Comm comm, const char *path, const Params *p, int argc, char **argv, const OutputMesh *mesh, Output *out)
{
  Output         o;
  PetscErrorCode ierr = 0;
  char           base[PETSC_MAX_PATH_LEN];
  char          *dot, *slash;
  size_t         len;

  PetscFunctionBegin;
  PetscCheck(out, comm, PETSC_ERR_ARG_NULL, "OutputCreate needs a place to put the handle");
  *out = NULL;
  PetscCheck(path && path[0], comm, PETSC_ERR_USER_INPUT, "No output file given; set output.file");
  len = strlen(path);
  PetscCheck(len + 16 < PETSC_MAX_PATH_LEN, comm, PETSC_ERR_USER_INPUT, "Output file name %s is too long", path);
  PetscCheck(path[len - 1] != '/' && strcmp(path + (len >= 2 ? len - 2 : 0), "/.") && strcmp(path, "."), comm, PETSC_ERR_USER_INPUT,
             "output.file %s names a directory; give a file name, e.g. %s%srun.h5", path, path, path[len - 1] == '/' ? "" : "/");
  PetscCall(PetscNew(&o));
  o->comm = comm;
  o->file = H5I_INVALID_HID;
  o->str  = H5I_INVALID_HID;
  o->fd   = -1;
  PetscCallMPI(MPI_Comm_rank(comm, &o->rank));
  PetscCall(PetscStrncpy(o->path, path, sizeof o->path));
  PetscCall(PetscSNPrintf(o->part, sizeof o->part, "%s.part", path));
  PetscCall(PetscStrncpy(base, path, sizeof base));
  dot   = strrchr(base, '.');
  slash = strrchr(base, '/');
  if (dot && (!slash || dot > slash + 1)) *dot = '\0';
  PetscCall(PetscSNPrintf(o->xmf, sizeof o->xmf, "%s.xmf", base));
  PetscCall(PetscSNPrintf(o->xmf_part, sizeof o->xmf_part, "%s.part", o->xmf));
  PetscCall(PetscSNPrintf(o->csv, sizeof o->csv, "%s.csv", base));
  PetscCall(PetscSNPrintf(o->csv_part, sizeof o->csv_part, "%s.part", o->csv));
  if (o->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputCreate_Root(o, p, argc, argv, mesh);
    if (ierr) ReleaseRoot(o); /* nothing is on disk yet but directories: the .part is unnamed or empty */
    if (ierr && o->named) (void)unlink(o->part);
    QuietEnd(&q);
  }
  {
    PetscErrorCode shared = ShareError(comm, o->rank, ierr);
    if (shared) PetscCall(OutputFree(&o));
    PetscCall(shared);
  }
  *out = o;
  PetscFunctionReturn(0);
}

/* ---- fields ---- */

/* Rows per chunk of a field of count values: a page's worth, at least one. */
static hsize_t FieldChunkRows(PetscInt count)
{
  const hsize_t rows = CHUNK_BYTES / (sizeof(double) * (hsize_t)count);

  return rows < 1 ? 1 : rows > 256 ? 256 : rows;
}

static PetscErrorCode FieldRegister(Output out, const OutputField *f, PetscInt count)
{
  char       path[256];
  hsize_t    dims[2] = {0, (hsize_t)count}, maxdims[2] = {H5S_UNLIMITED, (hsize_t)count}, chunk[2] = {FieldChunkRows(count), (hsize_t)count};
  double     fill = NAN; /* rows of output times at which a field was not written */
  hid_t      space, dcpl, d;
  FieldInfo *info;

  PetscFunctionBegin;
  if (out->nfields == out->fields_cap) {
    out->fields_cap = out->fields_cap ? 2 * out->fields_cap : 16;
    PetscCall(PetscRealloc(sizeof(FieldInfo) * out->fields_cap, &out->fields));
  }
  info = &out->fields[out->nfields];
  PetscCall(PetscStrncpy(info->name, f->name, sizeof info->name));
  PetscCall(PetscStrncpy(info->units, f->units ? f->units : "", sizeof info->units));
  info->count   = count;
  info->cell    = (PetscBool)(count == out->ncells);
  info->rows    = FieldChunkRows(count);
  info->nchunks = 0; /* rows of earlier output times read as NaN without storage */

  PetscCall(PetscSNPrintf(path, sizeof path, "/fields/%s", f->name));
  H5Check(space = H5Screate_simple(2, dims, maxdims), out, "create a dataspace for", path);
  H5Check(dcpl = H5Pcreate(H5P_DATASET_CREATE), out, "create a property list for", path);
  H5Check(H5Pset_chunk(dcpl, 2, chunk), out, "set the chunk size of", path);
  H5Check(H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill), out, "set the fill value of", path);
  H5Check(d = H5Dcreate2(out->file, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), out, "create dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", info->units));
  PetscCall(H5WriteStringAttribute(out, d, path, "location", info->cell ? "cell" : "other"));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Pclose(dcpl), out, "close the property list of", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  /* earlier output times get NaN rows, so every field has a row per time */
  if (out->ntimes) {
    H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
    dims[0] = (hsize_t)out->ntimes;
    H5Check(H5Dset_extent(d, dims), out, "extend dataset", path);
    H5Check(H5Dclose(d), out, "close dataset", path);
  }
  out->nfields++;
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

/* Bytes that adding n chunks of chunk_bytes each to one dataset may
 * allocate: the chunks, and for each insertion a new node at every level of
 * its v1 B-tree index (a split; four levels hold 2^36 chunks), a node
 * holding 2 ISTORE_K entries of rank+1 offsets. */
static size_t ChunkBytes(int rank, hsize_t n, size_t chunk_bytes)
{
  const size_t node = 24 + (2 * ISTORE_K + 1) * (8 + 8 * (size_t)(rank + 1)) + 2 * ISTORE_K * 8;

  return (size_t)n * (chunk_bytes + 4 * node);
}

/* Chunks that rows [start, end) of a 1D series add to it. */
static hsize_t NewChunks(hsize_t start, hsize_t end, hsize_t chunk)
{
  return (end + chunk - 1) / chunk - (start + chunk - 1) / chunk;
}

/* Bytes the buffered samples may allocate: the 7 series of phase A, or time. */
static size_t SampleBytes(Output out, PetscBool time)
{
  const hsize_t n = NewChunks(out->nseries, out->nseries + out->nsamples, SAMPLE_CHUNK);

  return (time ? 1 : 7) * ChunkBytes(1, n, SAMPLE_CHUNK * sizeof(double));
}

/* The buffered samples: every series but time (phase A), or time (phase B). */
static PetscErrorCode FlushSamples(Output out, PetscBool time)
{
  const size_t n = out->nsamples;
  double      *r;
  long long   *k;

  PetscFunctionBegin;
  if (!n) PetscFunctionReturn(0);
  PetscCall(PetscMalloc2(n, &r, n, &k));
  if (time) {
    for (size_t i = 0; i < n; i++)
      r[i] = out->samples[i].time;
    PetscCall(H5AppendSeries(out, "/timeseries/time", H5T_NATIVE_DOUBLE, n, r));
    out->nseries += n;
    out->nsamples = 0;
  } else {
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
  }
  PetscCall(PetscFree2(r, k));
  PetscFunctionReturn(0);
}

/* Both phases of the buffered samples, each flushed. */
static PetscErrorCode WriteSamples(Output out)
{
  PetscFunctionBegin;
  if (!out->nsamples) PetscFunctionReturn(0);
  PetscCall(Reserve(out, SampleBytes(out, PETSC_FALSE)));
  PetscCall(FlushSamples(out, PETSC_FALSE));
  PetscCall(Flush(out));
  PetscCall(Reserve(out, SampleBytes(out, PETSC_TRUE)));
  PetscCall(FlushSamples(out, PETSC_TRUE));
  PetscCall(Flush(out));
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputWriteFields_Root(Output out, PetscReal time, PetscInt nfields, const OutputField *fields)
{
  const hsize_t row   = (hsize_t)out->ntimes + 1;
  size_t        bytes = 0;
  PetscInt      known = out->nfields;

  PetscFunctionBegin;
  PetscCall(CheckNotFailed(out));
  PetscCheck(nfields >= 0 && (nfields == 0 || fields), PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteFields needs the fields on rank 0");
  /* every argument is checked before anything is written */
  for (PetscInt f = 0; f < nfields; f++) {
    const PetscInt count = fields[f].count ? fields[f].count : out->ncells;
    PetscBool      found = PETSC_FALSE;

    PetscCall(CheckName(fields[f].name, "field"));
    PetscCheck(strcmp(fields[f].name, "time"), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "\"time\" is reserved for /fields/time");
    PetscCheck(count > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Field %s has no values", fields[f].name);
    PetscCheck(fields[f].values, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Field %s has no values on rank 0", fields[f].name);
    for (PetscInt g = 0; g < f; g++)
      PetscCheck(strcmp(fields[g].name, fields[f].name), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Field %s is given twice", fields[f].name);
    for (PetscInt i = 0; i < out->nfields && !found; i++) {
      if (strcmp(out->fields[i].name, fields[f].name)) continue;
      found = PETSC_TRUE;
      PetscCheck(out->fields[i].count == count, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
                 "Field %s had %" PetscInt_FMT " values and now has %" PetscInt_FMT, fields[f].name, out->fields[i].count, count);
    }
    if (!found) known = -1;
  }
  if (out->ntimes == out->times_cap) {
    out->times_cap = out->times_cap ? 2 * out->times_cap : 64;
    PetscCall(PetscRealloc(sizeof(PetscReal) * out->times_cap, &out->times));
  }
  /* phase 0: datasets of fields not seen before */
  if (known < 0) {
    PetscCall(Reserve(out, (size_t)nfields * 4096));
    for (PetscInt f = 0; f < nfields; f++) {
      const PetscInt count = fields[f].count ? fields[f].count : out->ncells;
      PetscBool      found = PETSC_FALSE;
      for (PetscInt i = 0; i < out->nfields && !found; i++)
        found = (PetscBool)!strcmp(out->fields[i].name, fields[f].name);
      if (!found) PetscCall(FieldRegister(out, &fields[f], count));
    }
    PetscCall(Flush(out));
  }
  /* phase A: the rows, and the samples but their times */
  for (PetscInt f = 0; f < out->nfields; f++) {
    const FieldInfo *info = &out->fields[f];
    if ((hsize_t)out->ntimes / info->rows >= info->nchunks) bytes += ChunkBytes(2, 1, info->rows * (size_t)info->count * sizeof(double));
  }
  PetscCall(Reserve(out, bytes + SampleBytes(out, PETSC_FALSE)));
  for (PetscInt i = 0; i < out->nfields; i++) {
    const PetscReal *values = NULL; /* fields not given this time keep a NaN row */
    for (PetscInt f = 0; f < nfields && !values; f++)
      if (!strcmp(out->fields[i].name, fields[f].name)) values = fields[f].values;
    PetscCall(FieldWriteRow(out, &out->fields[i], row, values));
    if (values) out->fields[i].nchunks = PetscMax(out->fields[i].nchunks, (hsize_t)out->ntimes / out->fields[i].rows + 1);
  }
  PetscCall(FlushSamples(out, PETSC_FALSE));
  PetscCall(Flush(out));
  /* phase B: the times, which readers count */
  PetscCall(Reserve(out, SampleBytes(out, PETSC_TRUE) +
                             ChunkBytes(1, NewChunks((hsize_t)out->ntimes, (hsize_t)out->ntimes + 1, SAMPLE_CHUNK), SAMPLE_CHUNK * sizeof(double))));
  PetscCall(H5AppendSeries(out, "/fields/time", H5T_NATIVE_DOUBLE, 1, &time));
  PetscCall(FlushSamples(out, PETSC_TRUE));
  PetscCall(Flush(out));
  out->times[out->ntimes++] = time;
  if (!out->on_disk) PetscCall(CommitToDisk(out, PETSC_TRUE)); /* the file appears with its first output time */
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteFields(Output out, PetscReal time, PetscInt nfields, const OutputField *fields)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteFields needs an output created by OutputCreate");
  if (out->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputWriteFields_Root(out, time, nfields, fields);
    QuietEnd(&q);
  }
  PetscCall(ShareError(out->comm, out->rank, ierr));
  PetscFunctionReturn(0);
}

/* ---- time series, protocol, metrics ---- */

PetscErrorCode OutputAppendSample(Output out, const OutputSample *s)
{
  PetscFunctionBegin;
  if (!out || out->rank || out->failed) PetscFunctionReturn(0);
  if (out->nsamples == out->samples_cap) {
    out->samples_cap = out->samples_cap ? 2 * out->samples_cap : 256;
    PetscCall(PetscRealloc(sizeof(OutputSample) * out->samples_cap, &out->samples));
  }
  out->samples[out->nsamples++] = *s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputWriteStepEnd_Root(Output out, PetscInt index, const char *text, PetscReal time, const char *reason, PetscReal capacity,
                                              PetscReal energy, PetscReal mean_voltage)
{
  /* user units, as the metrics: mAh/cm^2, Wh/m^2, V */
  const double q = capacity / 36000.0, e = energy / SECONDS_PER_H, v = mean_voltage;
  long long    i = index;
  char         t[STEP_TEXT_LEN], r[STEP_REASON_LEN];
  hid_t        tt, rt;
  hsize_t      n;

  PetscFunctionBegin;
  PetscCall(CheckNotFailed(out));
  CopyText(t, sizeof t, text);
  CopyText(r, sizeof r, reason);
  PetscCall(FixedString(out, sizeof t, &tt));
  PetscCall(FixedString(out, sizeof r, &rt));
  n = NewChunks(out->nsteps, out->nsteps + 1, PROTOCOL_CHUNK);
  PetscCall(Reserve(out, ChunkBytes(1, n, PROTOCOL_CHUNK * sizeof(long long)) + ChunkBytes(1, n, PROTOCOL_CHUNK * sizeof t) +
                             ChunkBytes(1, n, PROTOCOL_CHUNK * sizeof r)));
  PetscCall(H5AppendSeries(out, "/protocol/index", H5T_NATIVE_LLONG, 1, &i));
  PetscCall(H5AppendSeries(out, "/protocol/text", tt, 1, t));
  PetscCall(H5AppendSeries(out, "/protocol/end_reason", rt, 1, r));
  PetscCall(Flush(out));
  PetscCall(Reserve(out, 4 * ChunkBytes(1, n, PROTOCOL_CHUNK * sizeof(double))));
  PetscCall(H5AppendSeries(out, "/protocol/capacity", H5T_NATIVE_DOUBLE, 1, &q));
  PetscCall(H5AppendSeries(out, "/protocol/energy", H5T_NATIVE_DOUBLE, 1, &e));
  PetscCall(H5AppendSeries(out, "/protocol/mean_voltage", H5T_NATIVE_DOUBLE, 1, &v));
  PetscCall(H5AppendSeries(out, "/protocol/end_time", H5T_NATIVE_DOUBLE, 1, &time));
  PetscCall(Flush(out));
  out->nsteps++;
  H5Check(H5Tclose(tt), out, "close the string type of", "/protocol/text");
  H5Check(H5Tclose(rt), out, "close the string type of", "/protocol/end_reason");
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteStepEnd(Output out, PetscInt index, const char *text, PetscReal time, const char *reason, PetscReal capacity,
                                  PetscReal energy, PetscReal mean_voltage)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteStepEnd needs an output created by OutputCreate");
  if (out->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputWriteStepEnd_Root(out, index, text, time, reason, capacity, energy, mean_voltage);
    QuietEnd(&q);
  }
  PetscCall(ShareError(out->comm, out->rank, ierr));
  PetscFunctionReturn(0);
}

/* A scalar in /metrics, of HDF5 type filetype (memtype in memory). */
static PetscErrorCode OutputWriteMetric_Root(Output out, const char *name, hid_t memtype, hid_t filetype, const void *value, const char *units,
                                             const char *note)
{
  char path[256];

  PetscFunctionBegin;
  PetscCall(CheckNotFailed(out));
  PetscCall(CheckName(name, "metric"));
  PetscCall(PetscSNPrintf(path, sizeof path, "/metrics/%s", name));
  PetscCall(Reserve(out, 0));
  PetscCall(H5WriteScalar(out, path, memtype, filetype, value, units ? units : ""));
  if (note && note[0]) {
    hid_t d;
    H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
    PetscCall(H5WriteStringAttribute(out, d, path, "note", note));
    H5Check(H5Dclose(d), out, "close dataset", path);
  }
  PetscFunctionReturn(0);
}

/* One metric of the given HDF5 type, written on rank 0, its error shared. */
static PetscErrorCode OutputWriteMetricTyped(Output out, const char *name, hid_t memtype, hid_t filetype, const void *v, const char *units,
                                             const char *note)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "writing metric %s needs an output created by OutputCreate", name);
  if (out->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputWriteMetric_Root(out, name, memtype, filetype, v, units, note);
    QuietEnd(&q);
  }
  PetscCall(ShareError(out->comm, out->rank, ierr));
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteMetric(Output out, const char *name, PetscReal value, const char *units)
{
  const double v = value;

  PetscFunctionBegin;
  PetscCall(OutputWriteMetricTyped(out, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &v, units, NULL));
  PetscFunctionReturn(0);
}

/* The note says why a value is NaN (an unknown density, a cell with no
 * capacity), so that NaN is never read as a number. */
PetscErrorCode OutputWriteMetricNote(Output out, const char *name, PetscReal value, const char *units, const char *note)
{
  const double v = value;

  PetscFunctionBegin;
  PetscCall(OutputWriteMetricTyped(out, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &v, units, note));
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteMetricText(Output out, const char *name, const char *text)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "writing metric %s needs an output created by OutputCreate", name);
  if (out->rank == 0) {
    H5Quiet q;
    char    path[256];
    QuietBegin(&q);
    ierr = CheckNotFailed(out);
    if (!ierr) ierr = CheckName(name, "metric");
    if (!ierr) ierr = PetscSNPrintf(path, sizeof path, "/metrics/%s", name);
    if (!ierr) ierr = Reserve(out, 0);
    if (!ierr) ierr = H5WriteText(out, path, text, 0);
    QuietEnd(&q);
  }
  PetscCall(ShareError(out->comm, out->rank, ierr));
  PetscFunctionReturn(0);
}

/* A count (time steps, iterations) as a 64-bit integer; units are usually "1". */
PetscErrorCode OutputWriteMetricInt(Output out, const char *name, PetscInt64 value, const char *units)
{
  const long long v = (long long)value;

  PetscFunctionBegin;
  PetscCall(OutputWriteMetricTyped(out, name, H5T_NATIVE_LLONG, H5T_STD_I64LE, &v, units, NULL));
  PetscFunctionReturn(0);
}

/* ---- restart: the stored solver state, and a run file read back ---- */

/* A contiguous dataset (rank 2: two rows, the slots, of n values; rank 0: a
 * scalar), allocated when created and never filled by HDF5: once the file is
 * on disk its bytes are written in place with pwrite, so HDF5 never caches
 * or rewrites them (as with the fixed-size provenance texts), and storing a
 * state changes no metadata at all. */
static PetscErrorCode RestartSlots(Output out, const char *path, int rank, hid_t type, hsize_t n, const char *units, haddr_t *offset)
{
  hsize_t dims[2] = {2, n};
  hid_t   space, dcpl, d;

  PetscFunctionBegin;
  H5Check(space = rank ? H5Screate_simple(2, dims, NULL) : H5Screate(H5S_SCALAR), out, "create a dataspace for", path);
  H5Check(dcpl = H5Pcreate(H5P_DATASET_CREATE), out, "create a property list for", path);
  H5Check(H5Pset_layout(dcpl, H5D_CONTIGUOUS), out, "make contiguous", path);
  H5Check(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), out, "allocate the storage of", path);
  H5Check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), out, "set the fill time of", path);
  H5Check(d = H5Dcreate2(out->file, path, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), out, "create dataset", path);
  PetscCall(H5WriteStringAttribute(out, d, path, "units", units));
  H5Check(H5Dclose(d), out, "close dataset", path);
  H5Check(H5Pclose(dcpl), out, "close the property list of", path);
  H5Check(H5Sclose(space), out, "close dataspace of", path);
  PetscCall(H5Offset(out, path, offset));
  PetscFunctionReturn(0);
}

/* /restart/count: on disk straight to its 8 bytes (one pwrite, which a kill
 * cannot cut), in memory through HDF5. */
static PetscErrorCode RestartWriteCount(Output out, const long long *count)
{
  PetscFunctionBegin;
  if (out->on_disk) {
    const ssize_t w = pwrite(out->fd, count, sizeof *count, (off_t)out->at_count);
    OsCheck(w == (ssize_t)sizeof *count, out, w < 0 ? errno : ENOSPC, "count the stored solver states in", out->part);
  } else {
    hid_t d;
    H5Check(d = H5Dopen2(out->file, "/restart/count", H5P_DEFAULT), out, "open dataset", "/restart/count");
    H5Check(H5Dwrite(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, count), out, "write dataset", "/restart/count");
    H5Check(H5Dclose(d), out, "close dataset", "/restart/count");
  }
  PetscFunctionReturn(0);
}

/* Row `slot` of a RestartSlots dataset: on disk straight to its bytes, in
 * memory through HDF5. */
static PetscErrorCode RestartWriteSlot(Output out, const char *path, haddr_t at, hsize_t slot, hsize_t n, const double *v)
{
  PetscFunctionBegin;
  if (out->on_disk) {
    const char  *b     = (const char *)v;
    const size_t bytes = n * sizeof(double);
    for (size_t done = 0; done < bytes;) {
      ssize_t w = pwrite(out->fd, b + done, bytes - done, (off_t)(at + slot * bytes + done));
      OsCheck(w > 0, out, w < 0 ? errno : ENOSPC, "store the solver state in", out->part);
      done += (size_t)w;
    }
  } else {
    hsize_t start[2] = {slot, 0}, count[2] = {1, n};
    hid_t   d, fspace, mspace;
    H5Check(d = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
    H5Check(fspace = H5Dget_space(d), out, "get the dataspace of", path);
    H5Check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL), out, "select a slot of", path);
    H5Check(mspace = H5Screate_simple(2, count, NULL), out, "create a memory dataspace for", path);
    H5Check(H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, v), out, "write a slot of", path);
    H5Check(H5Sclose(mspace), out, "close dataspace of", path);
    H5Check(H5Sclose(fspace), out, "close dataspace of", path);
    H5Check(H5Dclose(d), out, "close dataset", path);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RestartCreate(Output out, const OutputRestart *r)
{
  const hsize_t   ns = (hsize_t)r->nscalars + RESTART_ROWS, n = (hsize_t)r->nstate;
  const long long zero = 0;
  size_t          len  = strlen(r->names) + 64;
  char           *names;
  hid_t           d;

  PetscFunctionBegin;
  PetscCall(Reserve(out, 2 * (ns + n) * sizeof(double) + 4 * 4096 + len));
  PetscCall(RestartSlots(out, "/restart/count", 0, H5T_STD_I64LE, 1, "1", &out->at_count));
  PetscCall(RestartWriteCount(out, &zero)); /* written once through HDF5, in place after */
  PetscCall(RestartSlots(out, "/restart/scalars", 2, H5T_IEEE_F64LE, ns, "SI", &out->at_scalars));
  PetscCall(PetscMalloc1(len, &names));
  PetscCall(PetscSNPrintf(names, len, "%s,rows_fields,rows_timeseries,rows_protocol", r->names));
  H5Check(d = H5Dopen2(out->file, "/restart/scalars", H5P_DEFAULT), out, "open dataset", "/restart/scalars");
  PetscCall(H5WriteStringAttribute(out, d, "/restart/scalars", "names", names));
  H5Check(H5Dclose(d), out, "close dataset", "/restart/scalars");
  PetscCall(PetscFree(names));
  PetscCall(RestartSlots(out, "/restart/state", 2, H5T_IEEE_F64LE, n, "SI", &out->at_state));
  H5Check(d = H5Dopen2(out->file, "/restart/state", H5P_DEFAULT), out, "open dataset", "/restart/state");
  PetscCall(
      H5WriteStringAttribute(out, d, "/restart/state", "order", "natural: cell by cell from x = 0 (x fastest), each cell's unknowns in its layout"));
  H5Check(H5Dclose(d), out, "close dataset", "/restart/state");
  PetscCall(Flush(out));
  { /* both slots NaN until written: no stale bytes of memory or disk in the file */
    double *nan;
    PetscCall(PetscMalloc1(PetscMax(ns, n), &nan));
    for (hsize_t i = 0; i < PetscMax(ns, n); i++)
      nan[i] = NAN;
    for (hsize_t slot = 0; slot < 2; slot++) {
      PetscCall(RestartWriteSlot(out, "/restart/scalars", out->at_scalars, slot, ns, nan));
      PetscCall(RestartWriteSlot(out, "/restart/state", out->at_state, slot, n, nan));
    }
    PetscCall(PetscFree(nan));
  }
  PetscCall(PetscMalloc1(ns, &out->restart_row));
  out->restart_nscalars = r->nscalars;
  out->restart_nstate   = r->nstate;
  out->restart_ready    = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Phase A writes the slot that does not hold the last stored state, phase B
 * the count of stored states that readers use, so a kill at any moment
 * leaves the last state whole: the one in slot (count - 1) mod 2. Both are
 * written in place, so neither needs an HDF5 flush: once pwrite returns the
 * bytes are the file's. */
static PetscErrorCode OutputWriteRestart_Root(Output out, const OutputRestart *r)
{
  hsize_t   slot;
  size_t    ns;
  long long count;

  PetscFunctionBegin;
  PetscCall(CheckNotFailed(out));
  PetscCheck(r && r->nscalars > 0 && r->nstate > 0 && r->names && r->scalars && r->state, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL,
             "OutputWriteRestart needs the scalars, their names and the state on rank 0");
  if (!out->restart_ready) PetscCall(RestartCreate(out, r));
  PetscCheck(r->nscalars == out->restart_nscalars && r->nstate == out->restart_nstate, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "OutputWriteRestart: a run stores %" PetscInt_FMT " scalars and %" PetscInt_FMT " state values every time, not %" PetscInt_FMT
             " and %" PetscInt_FMT,
             out->restart_nscalars, out->restart_nstate, r->nscalars, r->nstate);
  PetscCall(WriteSamples(out)); /* the rows the state counts are in the file before it */
  ns = (size_t)r->nscalars;
  for (size_t i = 0; i < ns; i++)
    out->restart_row[i] = r->scalars[i];
  out->restart_row[ns]     = (double)out->ntimes;
  out->restart_row[ns + 1] = (double)out->nseries;
  out->restart_row[ns + 2] = (double)out->nsteps;
  slot                     = (hsize_t)(out->nrestarts % 2);
  PetscCall(RestartWriteSlot(out, "/restart/scalars", out->at_scalars, slot, ns + RESTART_ROWS, out->restart_row));
  PetscCall(RestartWriteSlot(out, "/restart/state", out->at_state, slot, (hsize_t)r->nstate, r->state));
  count = out->nrestarts + 1;
  PetscCall(RestartWriteCount(out, &count));
  out->nrestarts = count;
  if (!out->on_disk && out->ntimes > 0) PetscCall(CommitToDisk(out, PETSC_TRUE)); /* a continued run: its file appears with its history */
  PetscFunctionReturn(0);
}

PetscErrorCode OutputWriteRestart(Output out, const OutputRestart *r)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputWriteRestart needs an output created by OutputCreate");
  if (out->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputWriteRestart_Root(out, r);
    QuietEnd(&q);
  }
  PetscCall(ShareError(out->comm, out->rank, ierr));
  PetscFunctionReturn(0);
}

struct _n_OutputSource {
  MPI_Comm    comm;
  PetscMPIInt rank;
  char        path[PETSC_MAX_PATH_LEN];
  hid_t       file;           /* rank 0: the whole file, read into memory */
  char       *config, *names; /* every rank */
  PetscInt    nscalars, nstate, ncells;
  PetscReal  *scalars; /* every rank */
  PetscReal  *state;   /* rank 0 */
  PetscReal   time;
  PetscInt64  rows[RESTART_ROWS];
};

/* Errors reading a restart source name it and say what is wrong with it. */
#define SourceCheck(expr, src, what)                                                                                                                 \
  do {                                                                                                                                               \
    if ((expr) < 0) {                                                                                                                                \
      (void)H5Eclear2(H5E_DEFAULT);                                                                                                                  \
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "Cannot restart from %s: %s", (src)->path, what);                                                \
    }                                                                                                                                                \
  } while (0)

/* Whether every group on the way to path, and path, exist in file. */
static PetscBool SourceHas(hid_t file, const char *path)
{
  char prefix[512];

  if (strlen(path) >= sizeof prefix) return PETSC_FALSE;
  for (const char *c = path + 1;; c++) {
    if (*c && *c != '/') continue;
    memcpy(prefix, path, (size_t)(c - path));
    prefix[c - path] = 0;
    if (H5Lexists(file, prefix, H5P_DEFAULT) <= 0) return PETSC_FALSE;
    if (!*c) return PETSC_TRUE;
  }
}

/* The dimensions of a dataset (at most 2). */
static PetscErrorCode SourceDims(OutputSource src, hid_t file, const char *path, int *rank, hsize_t dims[2])
{
  hid_t d, s;

  PetscFunctionBegin;
  dims[0] = dims[1] = 0;
  SourceCheck(d = H5Dopen2(file, path, H5P_DEFAULT), src, "a dataset it needs is missing or damaged");
  SourceCheck(s = H5Dget_space(d), src, "a dataset it needs is damaged");
  SourceCheck(*rank = H5Sget_simple_extent_ndims(s), src, "a dataset it needs is damaged");
  PetscCheck(*rank <= 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "Cannot restart from %s: %s has %d dimensions", src->path, path, *rank);
  SourceCheck(H5Sget_simple_extent_dims(s, dims, NULL), src, "a dataset it needs is damaged");
  (void)H5Sclose(s);
  (void)H5Dclose(d);
  PetscFunctionReturn(0);
}

/* A variable-length string attribute, allocated ("" when there is none). */
static PetscErrorCode SourceAttribute(OutputSource src, hid_t obj, const char *name, char **text)
{
  hid_t a, t;
  char *v = NULL;

  PetscFunctionBegin;
  *text = NULL;
  if (H5Aexists(obj, name) <= 0) {
    PetscCall(PetscStrallocpy("", text));
    PetscFunctionReturn(0);
  }
  SourceCheck(a = H5Aopen(obj, name, H5P_DEFAULT), src, "an attribute is damaged");
  SourceCheck(t = H5Tcopy(H5T_C_S1), src, "HDF5 could not make a string type");
  SourceCheck(H5Tset_size(t, H5T_VARIABLE), src, "HDF5 could not make a string type");
  SourceCheck(H5Tset_cset(t, H5T_CSET_UTF8), src, "HDF5 could not make a string type");
  SourceCheck(H5Aread(a, t, &v), src, "an attribute cannot be read");
  (void)H5Tclose(t);
  (void)H5Aclose(a);
  {
    const PetscErrorCode e = PetscStrallocpy(v ? v : "", text);
    if (v) H5free_memory(v);
    PetscCall(e);
  }
  PetscFunctionReturn(0);
}

/* A fixed-size text dataset, allocated. */
static PetscErrorCode SourceText(OutputSource src, hid_t file, const char *path, char **text)
{
  hid_t  d, t;
  size_t n;

  PetscFunctionBegin;
  SourceCheck(d = H5Dopen2(file, path, H5P_DEFAULT), src, "it has no resolved config (/provenance/config): it is not a run file");
  SourceCheck(t = H5Dget_type(d), src, "/provenance/config is damaged");
  n = H5Tget_size(t);
  PetscCheck(n > 0 && H5Tis_variable_str(t) <= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "Cannot restart from %s: %s is not a fixed-size text",
             src->path, path);
  PetscCall(PetscCalloc1(n + 1, text));
  SourceCheck(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, *text), src, "/provenance/config cannot be read");
  (void)H5Tclose(t);
  (void)H5Dclose(d);
  PetscFunctionReturn(0);
}

/* Row `slot` of a [2][n] dataset. */
static PetscErrorCode SourceSlot(OutputSource src, hid_t file, const char *path, hsize_t slot, hsize_t n, PetscReal *v)
{
  hsize_t start[2] = {slot, 0}, count[2] = {1, n};
  hid_t   d, fspace, mspace;

  PetscFunctionBegin;
  SourceCheck(d = H5Dopen2(file, path, H5P_DEFAULT), src, "its stored solver state is damaged");
  SourceCheck(fspace = H5Dget_space(d), src, "its stored solver state is damaged");
  SourceCheck(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL), src, "its stored solver state is damaged");
  SourceCheck(mspace = H5Screate_simple(2, count, NULL), src, "HDF5 could not make a dataspace");
  SourceCheck(H5Dread(d, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, v), src, "its stored solver state cannot be read");
  (void)H5Sclose(mspace);
  (void)H5Sclose(fspace);
  (void)H5Dclose(d);
  PetscFunctionReturn(0);
}

/* The index of name in a comma-separated list, or -1. */
static PetscInt NameIndex(const char *names, const char *name)
{
  const size_t n = strlen(name);
  PetscInt     k = 0;

  for (const char *s = names; *s; k++) {
    const char *e = strchr(s, ',');
    size_t      m = e ? (size_t)(e - s) : strlen(s);
    if (m == n && !strncmp(s, name, n)) return k;
    if (!e) break;
    s = e + 1;
  }
  return -1;
}

static PetscInt NameCount(const char *names)
{
  PetscInt n = names[0] ? 1 : 0;

  for (const char *s = names; *s; s++)
    if (*s == ',') n++;
  return n;
}

/* How many states the file stored (0: none, or no /restart); the last is in
 * slot (n - 1) mod 2. */
static PetscErrorCode SourceLast(OutputSource src, hid_t file, hsize_t *n)
{
  long long count = 0;
  hid_t     d;

  PetscFunctionBegin;
  *n = 0;
  if (!SourceHas(file, "/restart/count") || !SourceHas(file, "/restart/scalars") || !SourceHas(file, "/restart/state")) PetscFunctionReturn(0);
  SourceCheck(d = H5Dopen2(file, "/restart/count", H5P_DEFAULT), src, "its stored solver state is damaged");
  SourceCheck(H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, &count), src, "its stored solver state cannot be read");
  (void)H5Dclose(d);
  *n = count > 0 ? (hsize_t)count : 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputSourceOpen_Root(OutputSource src)
{
  struct stat st;
  hid_t       fapl, d;
  hsize_t     n, dims[2], slot;
  int         rank;
  char       *names;
  PetscInt    ns, it;

  PetscFunctionBegin;
  PetscCheck(!stat(src->path, &st), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot restart from %s: %s", src->path, strerror(errno));
  PetscCheck(S_ISREG(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot restart from %s: it is not a regular file", src->path);
  PetscCheck(st.st_size > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "Cannot restart from %s: it is empty (a .part left by a run killed before its first output time); run the config from the start instead",
             src->path);
  /* The whole file goes into memory, opened as an image under a name of its
   * own: the run may replace the file (its own .part) before it has copied
   * what it needs, and creates its new file under that name. */
  {
    char  *image;
    int    fd   = open(src->path, O_RDONLY | O_CLOEXEC);
    size_t done = 0;
    char   name[PETSC_MAX_PATH_LEN + 32];
    PetscCheck(fd >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot restart from %s: %s", src->path, strerror(errno));
    if (PetscMalloc((size_t)st.st_size, &image)) {
      close(fd);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "Cannot restart from %s: no memory to read its %lld bytes", src->path, (long long)st.st_size);
    }
    while (done < (size_t)st.st_size) {
      ssize_t r = pread(fd, image + done, (size_t)st.st_size - done, (off_t)done);
      if (r <= 0) break;
      done += (size_t)r;
    }
    close(fd);
    if (done < (size_t)st.st_size) {
      (void)PetscFree(image);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "Cannot restart from %s: it could not be read (%s)", src->path,
              errno ? strerror(errno) : "short read");
    }
    PetscCall(PetscSNPrintf(name, sizeof name, "%s (restart source in memory)", src->path));
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 || H5Pset_file_image(fapl, image, (size_t)st.st_size) < 0)
      src->file = H5I_INVALID_HID;
    else
      src->file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) (void)H5Pclose(fapl);
    PetscCall(PetscFree(image)); /* HDF5 took a copy */
  }
  SourceCheck(src->file, src, "it is not an HDF5 file that can be read");
  PetscCall(SourceLast(src, src->file, &n));
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "Cannot restart from %s: it holds no stored solver state (/restart/count is missing or 0: the run that wrote it stored none, or "
             "was killed before its first output time); run the config from the start instead",
             src->path);
  slot = (n - 1) % 2;
  SourceCheck(d = H5Dopen2(src->file, "/restart/scalars", H5P_DEFAULT), src, "its stored solver state is damaged");
  PetscCall(SourceAttribute(src, d, "names", &names));
  (void)H5Dclose(d);
  PetscCall(SourceDims(src, src->file, "/restart/scalars", &rank, dims));
  ns = NameCount(names);
  PetscCheck(rank == 2 && dims[0] == 2 && (PetscInt)dims[1] == ns && ns > RESTART_ROWS && NameIndex(names, "rows_fields") == ns - RESTART_ROWS,
             PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "Cannot restart from %s: /restart/scalars does not match its names", src->path);
  PetscCall(PetscMalloc1(ns, &src->scalars));
  PetscCall(SourceSlot(src, src->file, "/restart/scalars", slot, (hsize_t)ns, src->scalars));
  src->nscalars = ns - RESTART_ROWS;
  for (int k = 0; k < RESTART_ROWS; k++)
    src->rows[k] = (PetscInt64)src->scalars[src->nscalars + k];
  names[strlen(names) - strlen(",rows_fields,rows_timeseries,rows_protocol")] = 0; /* the caller's names */
  src->names                                                                  = names;
  it                                                                          = NameIndex(names, "time");
  PetscCheck(it >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "Cannot restart from %s: its stored state has no time", src->path);
  src->time = src->scalars[it];
  PetscCall(SourceDims(src, src->file, "/restart/state", &rank, dims));
  PetscCheck(rank == 2 && dims[0] == 2 && dims[1] > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "Cannot restart from %s: /restart/state is damaged", src->path);
  src->nstate = (PetscInt)dims[1];
  PetscCall(PetscMalloc1(src->nstate, &src->state));
  PetscCall(SourceSlot(src, src->file, "/restart/state", slot, dims[1], src->state));
  PetscCall(SourceDims(src, src->file, "/mesh/x_centres", &rank, dims));
  src->ncells = (PetscInt)dims[0];
  PetscCall(SourceText(src, src->file, "/provenance/config", &src->config));
  /* the rows the state counts must be there (rows written before it) */
  {
    const char *counted[RESTART_ROWS] = {"/fields/time", "/timeseries/time", "/protocol/end_time"};
    for (int k = 0; k < RESTART_ROWS; k++) {
      PetscCall(SourceDims(src, src->file, counted[k], &rank, dims));
      PetscCheck(src->rows[k] >= 0 && (hsize_t)src->rows[k] <= dims[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
                 "Cannot restart from %s: its stored state counts %lld rows of %s, which has %llu", src->path, (long long)src->rows[k], counted[k],
                 (unsigned long long)dims[0]);
    }
  }
  PetscFunctionReturn(0);
}

/* Broadcasts a string allocated on rank 0 to every rank. */
static PetscErrorCode BcastText(MPI_Comm comm, PetscMPIInt rank, char **text)
{
  long long n = rank == 0 && *text ? (long long)strlen(*text) + 1 : 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  if (rank) PetscCall(PetscCalloc1((size_t)n + 1, text));
  PetscCallMPI(MPI_Bcast(*text, (PetscMPIInt)n, MPI_CHAR, 0, comm));
  PetscFunctionReturn(0);
}

PetscErrorCode OutputSourceOpen(MPI_Comm comm, const char *path, OutputSource *source)
{
  OutputSource   src;
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  *source = NULL;
  PetscCheck(path && path[0] && strlen(path) < PETSC_MAX_PATH_LEN, comm, PETSC_ERR_USER_INPUT,
             "-restart needs a run file, e.g. -restart out/run.h5.part");
  PetscCall(PetscNew(&src));
  src->comm = comm;
  src->file = H5I_INVALID_HID;
  PetscCallMPI(MPI_Comm_rank(comm, &src->rank));
  PetscCall(PetscStrncpy(src->path, path, sizeof src->path));
  if (src->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputSourceOpen_Root(src);
    QuietEnd(&q);
  }
  ierr = ShareError(comm, src->rank, ierr);
  if (ierr) {
    (void)OutputSourceDestroy(&src);
    PetscCall(ierr);
  }
  {
    PetscInt sizes[3] = {src->nscalars, src->nstate, src->ncells};
    PetscCallMPI(MPI_Bcast(sizes, 3, MPIU_INT, 0, comm));
    src->nscalars = sizes[0], src->nstate = sizes[1], src->ncells = sizes[2];
  }
  PetscCallMPI(MPI_Bcast(&src->time, 1, MPIU_REAL, 0, comm));
  PetscCallMPI(MPI_Bcast(src->rows, RESTART_ROWS, MPIU_INT64, 0, comm));
  if (src->rank) PetscCall(PetscMalloc1(src->nscalars, &src->scalars));
  PetscCallMPI(MPI_Bcast(src->scalars, (PetscMPIInt)src->nscalars, MPIU_REAL, 0, comm));
  PetscCall(BcastText(comm, src->rank, &src->config));
  PetscCall(BcastText(comm, src->rank, &src->names));
  *source = src;
  PetscFunctionReturn(0);
}

PetscErrorCode OutputSourceGet(OutputSource src, const char **config, PetscInt *ncells, OutputRestart *r)
{
  PetscFunctionBegin;
  PetscCheck(src, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputSourceGet needs a source opened by OutputSourceOpen");
  if (config) *config = src->config;
  if (ncells) *ncells = src->ncells;
  if (r) {
    r->time     = src->time;
    r->nscalars = src->nscalars;
    r->names    = src->names;
    r->scalars  = src->scalars;
    r->nstate   = src->nstate;
    r->state    = src->state;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OutputSourceDestroy(OutputSource *source)
{
  OutputSource src = source ? *source : NULL;

  PetscFunctionBegin;
  if (!src) PetscFunctionReturn(0);
  if (src->file >= 0 && H5Iis_valid(src->file) > 0) (void)H5Fclose(src->file);
  PetscCall(PetscFree(src->scalars));
  PetscCall(PetscFree(src->state));
  PetscCall(PetscFree(src->names));
  PetscCall(PetscFree(src->config));
  PetscCall(PetscFree(*source));
  PetscFunctionReturn(0);
}

/* Rows [0, n) of a 1D dataset of the source, appended to the same dataset of out. */
static PetscErrorCode CopySeries(Output out, OutputSource src, const char *path, hsize_t n)
{
  hid_t   d, ftype, mtype, fspace, mspace;
  hsize_t zero = 0;
  size_t  size;
  void   *buf;

  PetscFunctionBegin;
  if (!n) PetscFunctionReturn(0);
  SourceCheck(d = H5Dopen2(src->file, path, H5P_DEFAULT), src, "a time series or protocol dataset is missing");
  SourceCheck(ftype = H5Dget_type(d), src, "a dataset is damaged");
  SourceCheck(mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND), src, "a dataset is damaged");
  size = H5Tget_size(mtype);
  PetscCall(PetscMalloc(n * size, &buf));
  SourceCheck(fspace = H5Dget_space(d), src, "a dataset is damaged");
  SourceCheck(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &zero, NULL, &n, NULL), src, "a dataset is shorter than its stored state counts");
  SourceCheck(mspace = H5Screate_simple(1, &n, NULL), src, "HDF5 could not make a dataspace");
  SourceCheck(H5Dread(d, mtype, mspace, fspace, H5P_DEFAULT, buf), src, "a dataset cannot be read");
  (void)H5Sclose(mspace);
  (void)H5Sclose(fspace);
  (void)H5Dclose(d);
  PetscCall(H5AppendSeries(out, path, mtype, n, buf));
  (void)H5Tclose(mtype);
  (void)H5Tclose(ftype);
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

/* Every field of the source, rows [0, nf), registered and written in out. */
static PetscErrorCode CopyFields(Output out, OutputSource src, hsize_t nf)
{
  hid_t      g;
  H5G_info_t info;

  PetscFunctionBegin;
  SourceCheck(g = H5Gopen2(src->file, "/fields", H5P_DEFAULT), src, "it has no /fields");
  SourceCheck(H5Gget_info(g, &info), src, "/fields is damaged");
  for (hsize_t k = 0; k < info.nlinks; k++) {
    char        name[128], path[256], *units;
    hsize_t     dims[2], start[2] = {0, 0}, count[2];
    int         rank;
    hid_t       d, fspace, mspace;
    double     *rows;
    OutputField f;
    FieldInfo  *fi;

    SourceCheck(H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, name, sizeof name, H5P_DEFAULT), src, "/fields is damaged");
    if (!strcmp(name, "time")) continue;
    PetscCall(CheckName(name, "field"));
    PetscCall(PetscSNPrintf(path, sizeof path, "/fields/%s", name));
    PetscCall(SourceDims(src, src->file, path, &rank, dims));
    PetscCheck(rank == 2 && dims[0] >= nf && dims[1] > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "Cannot restart from %s: %s has fewer rows than its stored state counts", src->path, path);
    SourceCheck(d = H5Dopen2(src->file, path, H5P_DEFAULT), src, "a field is damaged");
    PetscCall(SourceAttribute(src, d, "units", &units));
    f = (OutputField){name, units, (PetscInt)dims[1], NULL};
    PetscCall(FieldRegister(out, &f, (PetscInt)dims[1]));
    PetscCall(PetscFree(units));
    fi = &out->fields[out->nfields - 1];
    if (nf) {
      count[0] = nf, count[1] = dims[1];
      PetscCall(PetscMalloc1(nf * dims[1], &rows));
      SourceCheck(fspace = H5Dget_space(d), src, "a field is damaged");
      SourceCheck(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL), src, "a field is damaged");
      SourceCheck(mspace = H5Screate_simple(2, count, NULL), src, "HDF5 could not make a dataspace");
      SourceCheck(H5Dread(d, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, rows), src, "a field cannot be read");
      (void)H5Sclose(mspace);
      (void)H5Sclose(fspace);
      {
        hid_t o, os;
        H5Check(o = H5Dopen2(out->file, path, H5P_DEFAULT), out, "open dataset", path);
        H5Check(H5Dset_extent(o, count), out, "extend dataset", path);
        H5Check(os = H5Dget_space(o), out, "get the dataspace of", path);
        H5Check(mspace = H5Screate_simple(2, count, NULL), out, "create a memory dataspace for", path);
        H5Check(H5Dwrite(o, H5T_NATIVE_DOUBLE, mspace, os, H5P_DEFAULT, rows), out, "write the copied rows of", path);
        H5Check(H5Sclose(mspace), out, "close dataspace of", path);
        H5Check(H5Sclose(os), out, "close dataspace of", path);
        H5Check(H5Dclose(o), out, "close dataset", path);
      }
      PetscCall(PetscFree(rows));
      fi->nchunks = (nf + fi->rows - 1) / fi->rows;
    }
    (void)H5Dclose(d);
  }
  (void)H5Gclose(g);
  PetscFunctionReturn(0);
}

static PetscErrorCode OutputContinue_Root(Output out, OutputSource src)
{
  static const char *const series[]   = {"time", "voltage", "current", "capacity", "capacity_mAh_per_cm2", "energy", "step", "protocol_step"};
  static const char *const protocol[] = {"index", "text", "end_reason", "capacity", "energy", "mean_voltage", "end_time"};
  const hsize_t            nf = (hsize_t)src->rows[0], ns = (hsize_t)src->rows[1], np = (hsize_t)src->rows[2];
  char                     path[128];

  PetscFunctionBegin;
  PetscCall(CheckNotFailed(out));
  PetscCheck(!out->on_disk && !out->ntimes && !out->nseries && !out->nsteps && !out->nsamples && !out->nfields, PETSC_COMM_SELF,
             PETSC_ERR_ARG_WRONGSTATE, "OutputContinue needs an output that nothing was written to yet");
  PetscCheck(src->file >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "OutputContinue needs a source opened on rank 0");
  PetscCall(CopyFields(out, src, nf));
  out->times_cap = (PetscInt)nf + 64;
  PetscCall(PetscRealloc(sizeof(PetscReal) * out->times_cap, &out->times));
  if (nf) {
    hsize_t size;
    PetscCall(H5ReadSeries(out, src->file, "/fields/time", H5T_NATIVE_DOUBLE, 0, nf, out->times, &size));
    PetscCall(H5AppendSeries(out, "/fields/time", H5T_NATIVE_DOUBLE, nf, out->times));
  }
  out->ntimes = (PetscInt)nf;
  for (size_t k = 0; k < sizeof series / sizeof series[0]; k++) {
    PetscCall(PetscSNPrintf(path, sizeof path, "/timeseries/%s", series[k]));
    PetscCall(CopySeries(out, src, path, ns));
  }
  out->nseries = ns;
  for (size_t k = 0; k < sizeof protocol / sizeof protocol[0]; k++) {
    PetscCall(PetscSNPrintf(path, sizeof path, "/protocol/%s", protocol[k]));
    PetscCall(CopySeries(out, src, path, np));
  }
  out->nsteps = np;
  PetscCall(H5CreateGroup(out, "/provenance/restarted_from"));
  PetscCall(H5WriteText(out, "/provenance/restarted_from/file", src->path, 0));
  PetscCall(H5WriteScalar(out, "/provenance/restarted_from/time", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &src->time, "s"));
  out->source_pending = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode OutputContinue(Output out, OutputSource src)
{
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  PetscCheck(out && src, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "OutputContinue needs an output and a source");
  if (out->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputContinue_Root(out, src);
    QuietEnd(&q);
  }
  PetscCall(ShareError(out->comm, out->rank, ierr));
  PetscFunctionReturn(0);
}

/* Opens the file as it is on disk (not into memory) and reads only the time
 * of its last state. */
static PetscBool ProbeRoot(const char *path, PetscReal *time)
{
  struct _n_OutputSource probe;
  hid_t                  file, d;
  hsize_t                n, dims[2];
  int                    rank;
  char                  *names = NULL;
  PetscInt               it;
  PetscReal             *row;
  PetscBool              ok = PETSC_FALSE;
  struct stat            st;

  if (stat(path, &st) || !S_ISREG(st.st_mode) || !st.st_size) return PETSC_FALSE;
  PetscMemzero(&probe, sizeof probe);
  (void)PetscStrncpy(probe.path, path, sizeof probe.path);
  if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) return PETSC_FALSE;
  if (!SourceLast(&probe, file, &n) && n > 0 && (d = H5Dopen2(file, "/restart/scalars", H5P_DEFAULT)) >= 0) {
    PetscErrorCode e = SourceAttribute(&probe, d, "names", &names);
    (void)H5Dclose(d);
    it = e ? -1 : NameIndex(names, "time");
    if (!e && it >= 0 && !SourceDims(&probe, file, "/restart/scalars", &rank, dims) && rank == 2 && dims[0] == 2 && (PetscInt)dims[1] > it &&
        !PetscMalloc1(dims[1], &row)) {
      if (!SourceSlot(&probe, file, "/restart/scalars", (n - 1) % 2, dims[1], row) && !PetscIsInfOrNanReal(row[it])) {
        *time = row[it];
        ok    = PETSC_TRUE;
      }
      (void)PetscFree(row);
    }
    (void)PetscFree(names);
  }
  (void)H5Fclose(file);
  (void)H5Eclear2(H5E_DEFAULT);
  return ok;
}

PetscErrorCode RestartProbe(MPI_Comm comm, const char *path, PetscBool *usable, PetscReal *time)
{
  PetscMPIInt rank;
  double      v[2] = {0, NAN};

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0 && path && path[0]) {
    H5Quiet   q;
    PetscReal t = NAN;
    QuietBegin(&q);
    PetscPushErrorHandler(PetscReturnErrorHandler, NULL); /* a damaged file is an answer (no), not an error */
    if (ProbeRoot(path, &t)) v[0] = 1, v[1] = t;
    PetscPopErrorHandler();
    QuietEnd(&q);
  }
  PetscCallMPI(MPI_Bcast(v, 2, MPI_DOUBLE, 0, comm));
  *usable = (PetscBool)(v[0] != 0);
  if (time) *time = v[1];
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
  snprintf(buf, len, "1 %" PetscInt_FMT " %" PetscInt_FMT, out->ny, out->nx);
}

/* Topology and geometry of the mesh, one cell thick in z, so that ParaView
 * shows it in the x-y plane. A 2D grid of uniform square cells is a
 * 3DCoRectMesh (origin and spacing inline; the spacing is the same along
 * every axis, so no reader's axis order can turn it); any other grid a
 * 3DRectMesh with its faces from /mesh: 1D cells have non-uniform widths
 * and are one (mesh-length) cell thick in y and z, and a 2D stack of
 * layers meshed separately has columns of several widths. */
static void XdmfWriteGrid(Output out, FILE *fp, const char *h5)
{
  if (out->ny > 1 && out->dx > 0) {
    fprintf(fp, "      <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"2 %" PetscInt_FMT " %" PetscInt_FMT "\"/>\n", out->ny + 1, out->nx + 1);
    fprintf(fp, "      <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n");
    fprintf(fp, "        <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0 0 0</DataItem>\n");
    fprintf(fp, "        <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">%.17g %.17g %.17g</DataItem>\n", (double)out->dx,
            (double)out->dy, (double)out->dx);
    fprintf(fp, "      </Geometry>\n");
    return;
  }
  if (out->ny > 1) {
    fprintf(fp, "      <Topology TopologyType=\"3DRectMesh\" Dimensions=\"2 %" PetscInt_FMT " %" PetscInt_FMT "\"/>\n", out->ny + 1, out->nx + 1);
    fprintf(fp, "      <Geometry GeometryType=\"VXVYVZ\">\n");
    fprintf(fp, "        <DataItem Dimensions=\"%" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/mesh/x_faces</DataItem>\n",
            out->nx + 1, h5);
    fprintf(fp, "        <DataItem Dimensions=\"%" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/mesh/y_faces</DataItem>\n",
            out->ny + 1, h5);
    fprintf(fp, "        <DataItem Dimensions=\"2\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0 %.17g</DataItem>\n", (double)out->dz);
    fprintf(fp, "      </Geometry>\n");
    return;
  }
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

static PetscErrorCode WriteXdmf(Output out)
{
  char        h5[3 * PETSC_MAX_PATH_LEN];
  const char *slash = strrchr(out->path, '/');
  FILE       *fp;
  int         failed;

  PetscFunctionBegin;
  /* XDMFReader resolves a relative HDF5 name against the .xmf's directory, so
   * the pair can be moved together. */
  XmlEscape(slash ? slash + 1 : out->path, h5, sizeof h5);
  PetscCall(CreateExclusive(out, out->xmf_part, &fp));
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
  failed = ferror(fp) | fflush(fp);
  if (!failed) errno = 0;
  failed = fclose(fp) || failed;
  if (failed) (void)unlink(out->xmf_part);
  OsCheck(!failed, out, errno ? errno : EIO, "write", out->xmf_part);
  OsCheck(!rename(out->xmf_part, out->xmf), out, errno, "rename it", out->xmf_part);
  PetscFunctionReturn(0);
}

/* The time series of the closed file, read back from it, in the units people
 * quote; rows up to the length of /timeseries/time. */
static PetscErrorCode WriteCsvFrom(Output out, hid_t file, FILE *fp)
{
  hsize_t    n, m;
  double    *t, *v, *c, *q, *e;
  long long *s, *ps;

  PetscFunctionBegin;
  fprintf(fp, "time_s,voltage_V,current_A_per_m2,capacity_mAh_per_cm2,energy_Wh_per_m2,step,protocol_step\n");
  PetscCall(H5ReadSeries(out, file, "/timeseries/time", H5T_NATIVE_DOUBLE, 0, 0, NULL, &n));
  PetscCall(PetscMalloc7(CSV_BLOCK, &t, CSV_BLOCK, &v, CSV_BLOCK, &c, CSV_BLOCK, &q, CSV_BLOCK, &e, CSV_BLOCK, &s, CSV_BLOCK, &ps));
  for (hsize_t start = 0; start < n; start += CSV_BLOCK) {
    hsize_t b = PetscMin(n - start, (hsize_t)CSV_BLOCK);

    PetscCall(H5ReadSeries(out, file, "/timeseries/time", H5T_NATIVE_DOUBLE, start, b, t, &m));
    PetscCall(H5ReadSeries(out, file, "/timeseries/voltage", H5T_NATIVE_DOUBLE, start, b, v, &m));
    PetscCall(H5ReadSeries(out, file, "/timeseries/current", H5T_NATIVE_DOUBLE, start, b, c, &m));
    PetscCall(H5ReadSeries(out, file, "/timeseries/capacity_mAh_per_cm2", H5T_NATIVE_DOUBLE, start, b, q, &m));
    PetscCall(H5ReadSeries(out, file, "/timeseries/energy", H5T_NATIVE_DOUBLE, start, b, e, &m));
    PetscCall(H5ReadSeries(out, file, "/timeseries/step", H5T_NATIVE_LLONG, start, b, s, &m));
    PetscCall(H5ReadSeries(out, file, "/timeseries/protocol_step", H5T_NATIVE_LLONG, start, b, ps, &m));
    for (hsize_t i = 0; i < b; i++)
      fprintf(fp, "%.10g,%.10g,%.10g,%.10g,%.10g,%lld,%lld\n", t[i], v[i], c[i], q[i], ToWh(e[i]), s[i], ps[i]);
  }
  PetscCall(PetscFree7(t, v, c, q, e, s, ps));
  PetscFunctionReturn(0);
}

/* Reopens the closed file read-only: the CSV shows what the file holds. */
static PetscErrorCode WriteCsv(Output out)
{
  hid_t          file;
  FILE          *fp;
  PetscErrorCode ierr;
  int            failed;
  void          *handle;
  struct stat    st;

  PetscFunctionBegin;
  H5Check(file = H5Fopen(out->path, H5F_ACC_RDONLY, H5P_DEFAULT), out, "reopen", "the closed file to write the CSV");
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || fstat(*(int *)handle, &st) || st.st_dev != out->dev || st.st_ino != out->ino) {
    (void)H5Fclose(file);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot write %s: another process replaced %s", out->csv, out->path);
  }
  ierr = CreateExclusive(out, out->csv_part, &fp);
  if (ierr) {
    (void)H5Fclose(file);
    PetscCall(ierr);
  }
  ierr = WriteCsvFrom(out, file, fp);
  (void)H5Fclose(file);
  failed = ferror(fp) | fflush(fp);
  if (!failed) errno = 0;
  failed = fclose(fp) || failed;
  if (ierr || failed) (void)unlink(out->csv_part);
  PetscCall(ierr);
  OsCheck(!failed, out, errno ? errno : EIO, "write", out->csv_part);
  OsCheck(!rename(out->csv_part, out->csv), out, errno, "rename it", out->csv_part);
  PetscFunctionReturn(0);
}

/* ---- close ---- */

/* After a write error HDF5 still caches rows and metadata the disk never
 * got; flushing them now could leave a torn file. Its descriptor is pointed
 * at a memfd that discards what HDF5's close writes, and the file stays as
 * its last complete flush left it. The end of file is made to cover HDF5's
 * end of allocation (a sparse extension: it needs no space), because a
 * superblock already on disk may record it. */
static PetscErrorCode DetachHDF5(Output out)
{
  void   *handle;
  haddr_t eoa  = 0;
  int     sink = -1;

  PetscFunctionBegin;
  if (out->file < 0 || H5Iis_valid(out->file) <= 0) PetscFunctionReturn(0);
  if (H5Fget_vfd_handle(out->file, H5P_DEFAULT, &handle) >= 0) {
    sink = memfd_create("ionstack-discarded-hdf5-writes", MFD_CLOEXEC);
    if (sink < 0) sink = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (sink >= 0) {
      (void)dup2(sink, *(int *)handle);
      (void)close(sink);
    }
  }
  if (H5Fget_eoa(out->file, &eoa) >= 0) {
    struct stat st;
    if (!fstat(out->fd, &st) && (haddr_t)st.st_size < eoa) (void)ftruncate(out->fd, (off_t)eoa);
  }
  /* a failed call may have left objects open (a dataset whose close could not
   * write its chunks), and the file stays open while they are: close them all */
  {
    const unsigned types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL;
    ssize_t        n     = H5Fget_obj_count(out->file, types);
    hid_t         *ids;

    if (n > 0 && !PetscMalloc1((size_t)n, &ids)) {
      n = H5Fget_obj_ids(out->file, types, (size_t)n, ids);
      for (ssize_t i = 0; i < n; i++) {
        if (H5Iget_type(ids[i]) == H5I_ATTR)
          (void)H5Aclose(ids[i]);
        else
          (void)H5Oclose(ids[i]);
      }
      (void)PetscFree(ids);
    }
  }
  (void)H5Fclose(out->file); /* into the sink; its errors do not matter */
  out->file = H5I_INVALID_HID;
  PetscFunctionReturn(0);
}

/* The message of the error just raised. */
static void SpecificMessage(PetscErrorCode e, char *buf, size_t len)
{
  const char *text     = NULL;
  char       *specific = NULL;

  (void)PetscErrorMessage(e, &text, &specific);
  Format(buf, len, "%s", specific && specific[0] ? specific : (text ? text : "unknown error"));
}

/* What a failed output left, for its last message. */
static void DescribeFailure(Output out, PetscBool marked, PetscBool renamed, const char *sidecars, char *msg, size_t len)
{
  if (!out->on_disk)
    Format(msg, len, "%s. No output file was written", out->error);
  else if (!marked)
    Format(msg, len, "%s. %s was left as it is (status running), with its %" PetscInt_FMT " complete output times", out->error, out->part,
           out->ntimes);
  else if (!renamed)
    Format(msg, len, "%s. %s is closed and marked but kept its temporary name", out->error, out->part);
  else
    Format(msg, len, "%s. %s was closed with status failed and keeps its %" PetscInt_FMT " complete output times%s%s", out->error, out->path,
           out->ntimes, sidecars[0] ? "; the sidecars are missing: " : "", sidecars);
}

static PetscErrorCode OutputClose_Root(Output out, const char *exit_reason, OutputStatus status)
{
  char           end[64], sidecars[MESSAGE_LEN] = "", msg[2 * MESSAGE_LEN + 256];
  const char    *reason = exit_reason && exit_reason[0] ? exit_reason : out->error;
  PetscBool      marked = PETSC_FALSE, renamed = PETSC_FALSE, was_failed = out->failed;
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  if (out->source_pending && !out->on_disk) {
    /* writing this file would put a file without the history in the place of the one it restarts from */
    struct stat st;
    if (out->named && !lstat(out->part, &st) && st.st_dev == out->dev && st.st_ino == out->ino)
      (void)unlink(out->part); /* the empty fallback .part */
    if (out->fd >= 0) (void)close(out->fd);
    out->fd = -1;
    SETERRQ(PETSC_COMM_SELF, out->failed ? out->error_code : PETSC_ERR_FILE_WRITE,
            "%s%sNo output file was written: the run ended before it had copied the history of the file it restarts from, which was left as it is",
            out->failed ? out->error : (exit_reason ? exit_reason : ""), (out->failed || (exit_reason && exit_reason[0])) ? ". " : "");
  }
  PetscCall(Now(end, sizeof end));
  if (out->failed) status = OUTPUT_FAILED;
  /* the normal path: what is buffered, then the marks, then the name */
  if (!out->failed || !out->on_disk) {
    if (out->failed) out->failed = PETSC_FALSE; /* in memory the file is intact: try to write it once more */
    ierr = WriteSamples(out);
    if (!ierr) ierr = Flush(out); /* the metrics */
    if (!ierr && out->on_disk) {
      haddr_t eoa = 0;
      ierr        = H5Fget_eoa(out->file, &eoa) < 0 ? H5Failure(out, __LINE__, PETSC_FUNCTION_NAME, "get the allocated size of", "the file") : 0;
      if (!ierr) {
        ierr = H5Fclose(out->file) < 0 ? H5Failure(out, __LINE__, PETSC_FUNCTION_NAME, "close", "the file") : 0;
        if (!ierr) {
          struct stat st;
          out->file = H5I_INVALID_HID;
          if (!fstat(out->fd, &st) && (haddr_t)st.st_size > eoa) (void)ftruncate(out->fd, (off_t)eoa); /* the reserve past the end */
        }
      }
    }
    if (!ierr) ierr = OverwriteText(out, "/provenance/end_time", out->at_end_time, END_TIME_LEN, end);
    if (!ierr) ierr = OverwriteText(out, "/provenance/exit_reason", out->at_reason, REASON_LEN, reason);
    if (!ierr) ierr = OverwriteText(out, "/provenance/status", out->at_status, STATUS_LEN, OutputStatuses[status]);
    if (!ierr && !out->on_disk) ierr = CommitToDisk(out, PETSC_FALSE);
    if (!ierr) marked = PETSC_TRUE;
    if (ierr && was_failed && !out->on_disk) out->failed = PETSC_TRUE;
  }
  /* after a write error: nothing more through HDF5 */
  if (out->failed && out->on_disk) {
    PetscErrorCode e;
    PetscCall(DetachHDF5(out));
    reason = exit_reason && exit_reason[0] ? exit_reason : out->error;
    e      = OverwriteText(out, "/provenance/end_time", out->at_end_time, END_TIME_LEN, end);
    if (!e) e = OverwriteText(out, "/provenance/exit_reason", out->at_reason, REASON_LEN, reason);
    if (!e) e = OverwriteText(out, "/provenance/status", out->at_status, STATUS_LEN, OutputStatuses[OUTPUT_FAILED]);
    marked = (PetscBool)!e;
  }
  if (marked && out->on_disk) {
    PetscErrorCode e = RenameOwn(out, out->part, out->path, out->dev, out->ino);
    renamed          = (PetscBool)!e;
    if (e && !ierr) ierr = e;
  }
  if (!out->on_disk && out->named) { /* the fallback .part of a file that never got complete to disk */
    struct stat st;
    if (!lstat(out->part, &st) && st.st_dev == out->dev && st.st_ino == out->ino) (void)unlink(out->part);
  }
  if (out->fd >= 0) (void)close(out->fd);
  out->fd = -1;
  if (renamed) {
    /* sidecars are written even for a failed run; their own errors are reported after */
    PetscBool      keep                 = out->failed;
    PetscErrorCode e_csv                = WriteCsv(out), e_xmf, e;
    char           csv_msg[MESSAGE_LEN] = "";

    if (e_csv) SpecificMessage(e_csv, csv_msg, sizeof csv_msg);
    e_xmf = WriteXdmf(out);
    if (e_xmf) SpecificMessage(e_xmf, sidecars, sizeof sidecars);
    if (e_csv) Format(sidecars + strlen(sidecars), sizeof sidecars - strlen(sidecars), "%s%s", e_xmf ? "; " : "", csv_msg);
    e = e_xmf ? e_xmf : e_csv;
    if (e && !keep && !ierr)
      ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, e, PETSC_ERROR_INITIAL,
                        "%s was closed with status %s, but its sidecars are missing: %s", out->path, OutputStatuses[status], sidecars);
    if (!keep) out->failed = PETSC_FALSE;
  }
  if (out->failed) {
    DescribeFailure(out, marked, renamed, sidecars, msg, sizeof msg);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s", msg);
  }
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode OutputClose(Output *out, const char *exit_reason, OutputStatus status)
{
  Output         o;
  PetscErrorCode ierr = 0;

  PetscFunctionBegin;
  if (!out || !*out) PetscFunctionReturn(0);
  o    = *out;
  *out = NULL; /* whatever happens below, the handle is gone: later calls see NULL */
  PetscCheck(status >= OUTPUT_COMPLETE && status <= OUTPUT_INTERRUPTED, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "OutputClose: unknown status %d",
             (int)status);
  if (o->rank == 0) {
    H5Quiet q;
    QuietBegin(&q);
    ierr = OutputClose_Root(o, exit_reason, status);
    ReleaseRoot(o);
    QuietEnd(&q);
  }
  {
    PetscErrorCode shared = ShareError(o->comm, o->rank, ierr);
    PetscCall(OutputFree(&o));
    PetscCall(shared);
  }
  PetscFunctionReturn(0);
}
