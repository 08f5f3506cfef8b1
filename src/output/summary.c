/* The summary of a sweep: one row per point, rebuilt from the point files
 * alone (their /sweep, /provenance and /metrics), so that `ionstack
 * collect` after a job array gives what the in-process sweep gives. Also
 * the small pieces of a point file that belong to the sweep: /sweep
 * (written by OutputCreate), the wall time stamped after the run, and the
 * file of a point that failed before a run file existed.
 *
 * summary.h5 has /index, /status, /end_reason, /solve_time, /wall_time,
 * /inputs/<key> (numbers in the axis's unit, or text; numbers also as
 * written in /inputs_text/<key>) and /metrics/<name>, every column one
 * value per point; summary.csv has the same columns, headed "name [units]".
 * Both are written as .part and renamed, so a summary on disk is whole.
 * Only rank 0 reads and writes. docs/sweeps.md describes the files. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "summary.h"

/* An HDF5 call that failed, named with its object; HDF5's own stack print is off. */
#define H5Try(expr, what, object)                                                                                                                    \
  do {                                                                                                                                               \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "summary: cannot %s %s", what, object);                                           \
  } while (0)

#define MAX_METRICS 512
#define TEXT_MAX 8192

/* Appends t to s[n], as much as fits. */
static PetscErrorCode Append(char *s, const char *t, size_t n)
{
  size_t len = strlen(s), add = strlen(t);

  if (len + 1 >= n) return 0;
  if (add > n - len - 1) add = n - len - 1;
  memcpy(s + len, t, add);
  s[len + add] = 0;
  return 0;
}

/* ---- writing ---- */

static PetscErrorCode WriteAttribute(hid_t obj, const char *name, const char *text);

static PetscErrorCode WriteTextScalar(hid_t loc, const char *path, const char *text)
{
  hid_t t, s, d;

  PetscFunctionBeginUser;
  H5Try(t = H5Tcopy(H5T_C_S1), "copy a string type for", path);
  H5Try(H5Tset_size(t, strlen(text) + 1), "size the string type of", path);
  H5Try(H5Tset_cset(t, H5T_CSET_UTF8), "set UTF-8 on", path);
  H5Try(s = H5Screate(H5S_SCALAR), "create a dataspace for", path);
  H5Try(d = H5Dcreate2(loc, path, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create", path);
  H5Try(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, text), "write", path);
  PetscCall(WriteAttribute(d, "units", "")); /* as every dataset of a run file has one */
  H5Try(H5Dclose(d), "close", path);
  H5Try(H5Sclose(s), "close the dataspace of", path);
  H5Try(H5Tclose(t), "close the string type of", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteAttribute(hid_t obj, const char *name, const char *text)
{
  hid_t t, s, a;

  PetscFunctionBeginUser;
  H5Try(t = H5Tcopy(H5T_C_S1), "copy a string type for attribute", name);
  H5Try(H5Tset_size(t, H5T_VARIABLE), "size the string type of attribute", name);
  H5Try(H5Tset_cset(t, H5T_CSET_UTF8), "set UTF-8 on attribute", name);
  H5Try(s = H5Screate(H5S_SCALAR), "create a dataspace for attribute", name);
  H5Try(a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT), "create attribute", name);
  H5Try(H5Awrite(a, t, &text), "write attribute", name);
  H5Try(H5Aclose(a), "close attribute", name);
  H5Try(H5Sclose(s), "close the dataspace of attribute", name);
  H5Try(H5Tclose(t), "close the string type of attribute", name);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteNumberAttribute(hid_t obj, const char *name, hid_t filetype, hid_t memtype, const void *v)
{
  hid_t s, a;

  PetscFunctionBeginUser;
  H5Try(s = H5Screate(H5S_SCALAR), "create a dataspace for attribute", name);
  H5Try(a = H5Acreate2(obj, name, filetype, s, H5P_DEFAULT, H5P_DEFAULT), "create attribute", name);
  H5Try(H5Awrite(a, memtype, v), "write attribute", name);
  H5Try(H5Aclose(a), "close attribute", name);
  H5Try(H5Sclose(s), "close the dataspace of attribute", name);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteColumn(hid_t loc, const char *path, hid_t filetype, hid_t memtype, hsize_t n, const void *v, const char *units)
{
  hid_t s, d, lcpl;

  PetscFunctionBeginUser;
  H5Try(lcpl = H5Pcreate(H5P_LINK_CREATE), "create a property list for", path);
  H5Try(H5Pset_create_intermediate_group(lcpl, 1), "allow groups in", path);
  H5Try(s = H5Screate_simple(1, &n, NULL), "create a dataspace for", path);
  H5Try(d = H5Dcreate2(loc, path, filetype, s, lcpl, H5P_DEFAULT, H5P_DEFAULT), "create", path);
  if (n) H5Try(H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), "write", path);
  if (units) PetscCall(WriteAttribute(d, "units", units));
  H5Try(H5Dclose(d), "close", path);
  H5Try(H5Sclose(s), "close the dataspace of", path);
  H5Try(H5Pclose(lcpl), "close the property list of", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteStrings(hid_t loc, const char *path, hsize_t n, const char **v)
{
  hid_t t;

  PetscFunctionBeginUser;
  H5Try(t = H5Tcopy(H5T_C_S1), "copy a string type for", path);
  H5Try(H5Tset_size(t, H5T_VARIABLE), "size the string type of", path);
  H5Try(H5Tset_cset(t, H5T_CSET_UTF8), "set UTF-8 on", path);
  PetscCall(WriteColumn(loc, path, t, t, n, v, NULL));
  H5Try(H5Tclose(t), "close the string type of", path);
  PetscFunctionReturn(0);
}

PetscErrorCode SweepPointWrite(hid_t file, const Params *p)
{
  const long long index = p->point_index, count        = p->point_count;
  char            path[256], keys[MAX_SWEEP_AXES * 66] = "";
  hid_t           g, d;

  PetscFunctionBeginUser;
  H5Try(g = H5Gcreate2(file, "/sweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create", "/sweep");
  H5Try(H5Gclose(g), "close", "/sweep");
  H5Try(g = H5Gcreate2(file, "/sweep/inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create", "/sweep/inputs");
  H5Try(H5Gclose(g), "close", "/sweep/inputs");
  PetscCall(WriteColumn(file, "/sweep/index", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, &index, "1"));
  PetscCall(WriteColumn(file, "/sweep/points", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, &count, "1"));
  for (PetscInt k = 0; k < p->point_ninputs; k++) {
    if (k) PetscCall(Append(keys, ",", sizeof keys));
    PetscCall(Append(keys, p->point_keys[k], sizeof keys));
    PetscCall(PetscSNPrintf(path, sizeof path, "/sweep/inputs/%s", p->point_keys[k]));
    PetscCall(WriteTextScalar(file, path, p->point_values[k]));
    H5Try(d = H5Dopen2(file, path, H5P_DEFAULT), "open", path);
    H5Try(H5Adelete(d, "units"), "replace the units of", path);
    PetscCall(WriteAttribute(d, "units", p->point_units[k]));
    PetscCall(WriteNumberAttribute(d, "value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &p->point_numbers[k]));
    H5Try(H5Dclose(d), "close", path);
  }
  PetscCall(WriteTextScalar(file, "/sweep/keys", keys));
  PetscFunctionReturn(0);
}

PetscErrorCode SummaryStampWallTime(const char *path, PetscReal seconds)
{
  hid_t  file;
  double v = seconds;

  PetscFunctionBeginUser;
  H5E_BEGIN_TRY
  {
    file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  }
  H5E_END_TRY;
  H5Try(file, "open", path);
  PetscCall(WriteColumn(file, "/sweep/wall_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &v, "s"));
  H5Try(H5Fclose(file), "close", path);
  PetscFunctionReturn(0);
}

/* Writes an HDF5 file whole: built as PATH.part by write(file, ctx) and
 * renamed, or removed if anything failed, so a file under PATH is complete. */
static PetscErrorCode WriteWhole(const char *path, PetscErrorCode (*write)(hid_t, void *), void *ctx, const char *what)
{
  char           part[PETSC_MAX_PATH_LEN + 8];
  hid_t          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(part, sizeof part, "%s.part", path));
  H5E_BEGIN_TRY
  {
    file = H5Fcreate(part, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ierr = file < 0 ? PETSC_ERR_FILE_WRITE : write(file, ctx);
    if (file >= 0 && H5Fclose(file) < 0 && !ierr) ierr = PETSC_ERR_FILE_WRITE;
  }
  H5E_END_TRY;
  if (ierr) (void)unlink(part);
  PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "summary: cannot write %s, %s", part, what);
  PetscCheck(!rename(part, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "summary: cannot rename %s to %s: %s", part, path, strerror(errno));
  PetscFunctionReturn(0);
}

typedef struct {
  const Params *p;
  const char   *reason;
} Failure;

static PetscErrorCode WriteFailure(hid_t file, void *ctx)
{
  const Failure *f = (const Failure *)ctx;
  hid_t          g;

  PetscFunctionBeginUser;
  H5Try(g = H5Gopen2(file, "/", H5P_DEFAULT), "open", "/");
  PetscCall(WriteAttribute(g, "format", "ionstack output 1 (docs/output.md): a sweep point that failed before its run"));
  H5Try(H5Gclose(g), "close", "/");
  H5Try(g = H5Gcreate2(file, "/provenance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create", "/provenance");
  H5Try(H5Gclose(g), "close", "/provenance");
  PetscCall(WriteTextScalar(file, "/provenance/ionstack_version", IONSTACK_VERSION));
  PetscCall(WriteTextScalar(file, "/provenance/config_file", f->p->config_file));
  PetscCall(WriteTextScalar(file, "/provenance/config", f->p->resolved_yaml ? f->p->resolved_yaml : ""));
  PetscCall(WriteTextScalar(file, "/provenance/status", "failed"));
  PetscCall(WriteTextScalar(file, "/provenance/exit_reason", f->reason));
  PetscCall(SweepPointWrite(file, f->p));
  PetscFunctionReturn(0);
}

PetscErrorCode SummaryWritePointFailure(const char *path, const Params *p, const char *reason)
{
  Failure f = {p, reason};

  PetscFunctionBeginUser;
  PetscCall(WriteWhole(path, WriteFailure, &f, "the record of a failed sweep point"));
  PetscFunctionReturn(0);
}

/* ---- reading a point file ---- */

/* A text dataset or attribute of any string type; "" when it is absent. */
static void ReadText(hid_t obj, const char *name, PetscBool attribute, char *buf, size_t len)
{
  hid_t  h, t, mt;
  htri_t vl;

  buf[0] = 0;
  H5E_BEGIN_TRY
  {
    h = attribute ? H5Aopen(obj, name, H5P_DEFAULT) : H5Dopen2(obj, name, H5P_DEFAULT);
    if (h >= 0) {
      t  = attribute ? H5Aget_type(h) : H5Dget_type(h);
      vl = H5Tis_variable_str(t);
      mt = H5Tcopy(H5T_C_S1);
      H5Tset_cset(mt, H5Tget_cset(t)); /* HDF5 converts no strings between ASCII and UTF-8 */
      if (vl > 0) {
        char *s = NULL;
        H5Tset_size(mt, H5T_VARIABLE);
        if ((attribute ? H5Aread(h, mt, &s) : H5Dread(h, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s)) >= 0 && s) {
          snprintf(buf, len, "%s", s);
          H5free_memory(s);
        }
      } else if (vl == 0) {
        size_t n   = H5Tget_size(t);
        char  *tmp = (char *)calloc(n + 1, 1);
        H5Tset_size(mt, n + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (tmp && (attribute ? H5Aread(h, mt, tmp) : H5Dread(h, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp)) >= 0) snprintf(buf, len, "%s", tmp);
        free(tmp);
      }
      H5Tclose(mt);
      H5Tclose(t);
      if (attribute)
        H5Aclose(h);
      else
        H5Dclose(h);
    }
  }
  H5E_END_TRY;
}

/* A scalar number dataset (or attribute); NaN when absent or not a number. */
static double ReadNumber(hid_t obj, const char *name, PetscBool attribute)
{
  double v = NAN;
  hid_t  h, t;

  H5E_BEGIN_TRY
  {
    h = attribute ? H5Aopen(obj, name, H5P_DEFAULT) : H5Dopen2(obj, name, H5P_DEFAULT);
    if (h >= 0) {
      t = attribute ? H5Aget_type(h) : H5Dget_type(h);
      if (H5Tget_class(t) == H5T_FLOAT || H5Tget_class(t) == H5T_INTEGER) {
        if ((attribute ? H5Aread(h, H5T_NATIVE_DOUBLE, &v) : H5Dread(h, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v)) < 0) v = NAN;
      }
      H5Tclose(t);
      if (attribute)
        H5Aclose(h);
      else
        H5Dclose(h);
    }
  }
  H5E_END_TRY;
  return v;
}

typedef struct {
  char   name[160];
  char   units[32];
  double value;
} Metric;

typedef struct {
  PetscInt  index, points;
  PetscBool partial; /* only a .part */
  char      status[32], reason[512];
  PetscInt  ninputs;
  char      key[MAX_SWEEP_AXES][64], text[MAX_SWEEP_AXES][256], unit[MAX_SWEEP_AXES][32];
  double    number[MAX_SWEEP_AXES];
  double    solve_time, wall_time;
  PetscInt  nmetrics;
  Metric   *metric;
} Record;

typedef struct {
  Record   *r;
  PetscBool overflow;
} Visit;

/* Every scalar number under /metrics, as name (relative) and units. */
static herr_t VisitMetric(hid_t g, const char *name, const H5L_info_t *info, void *ctx)
{
  Visit     *v = (Visit *)ctx;
  hid_t      o;
  H5I_type_t type;

  (void)info;
  if (!strcmp(name, "solve_time")) return 0; /* a column of its own */
  o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0) return 0;
  type = H5Iget_type(o);
  if (type == H5I_DATASET) {
    hid_t s = H5Dget_space(o), t = H5Dget_type(o);
    if (H5Sget_simple_extent_ndims(s) == 0 && (H5Tget_class(t) == H5T_FLOAT || H5Tget_class(t) == H5T_INTEGER)) {
      if (v->r->nmetrics < MAX_METRICS) {
        Metric *m = &v->r->metric[v->r->nmetrics++];
        snprintf(m->name, sizeof m->name, "%s", name);
        if (H5Dread(o, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &m->value) < 0) m->value = NAN;
        ReadText(o, "units", PETSC_TRUE, m->units, sizeof m->units);
      } else
        v->overflow = PETSC_TRUE;
    }
    H5Tclose(t);
    H5Sclose(s);
  }
  H5Oclose(o);
  return 0;
}

/* Reads what the summary needs of one point file, and the config file it
 * was run from into config_file when that is still empty; *ok is false for
 * a file that is no sweep point (no /sweep) or cannot be opened. */
static PetscErrorCode ReadRecord(const char *path, PetscBool partial, Record *r, PetscBool *ok, char *config_file, size_t len)
{
  hid_t  file, g;
  char   keys[MAX_SWEEP_AXES * 66], *save = NULL, name[256];
  Visit  v = {r, PETSC_FALSE};
  double index, points;

  PetscFunctionBeginUser;
  *ok = PETSC_FALSE;
  H5E_BEGIN_TRY
  {
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  }
  H5E_END_TRY;
  if (file < 0) PetscFunctionReturn(0);
  index  = ReadNumber(file, "/sweep/index", PETSC_FALSE);
  points = ReadNumber(file, "/sweep/points", PETSC_FALSE);
  if (isnan(index) || isnan(points)) {
    H5Fclose(file);
    PetscFunctionReturn(0);
  }
  r->partial = partial;
  r->index   = (PetscInt)index;
  r->points  = (PetscInt)points;
  ReadText(file, "/sweep/keys", PETSC_FALSE, keys, sizeof keys);
  if (!config_file[0]) ReadText(file, "/provenance/config_file", PETSC_FALSE, config_file, len);
  ReadText(file, "/provenance/status", PETSC_FALSE, r->status, sizeof r->status);
  ReadText(file, "/provenance/exit_reason", PETSC_FALSE, r->reason, sizeof r->reason);
  if (partial) { /* a killed run: its status still says running */
    PetscCall(PetscStrncpy(r->status, "incomplete", sizeof r->status));
    if (!r->reason[0]) PetscCall(PetscStrncpy(r->reason, "the run was stopped before it ended (only its .part is left)", sizeof r->reason));
  }
  r->ninputs = 0;
  for (char *k = strtok_r(keys, ",", &save); k && r->ninputs < MAX_SWEEP_AXES; k = strtok_r(NULL, ",", &save)) {
    hid_t d;
    snprintf(r->key[r->ninputs], sizeof r->key[0], "%s", k);
    snprintf(name, sizeof name, "/sweep/inputs/%s", k);
    ReadText(file, name, PETSC_FALSE, r->text[r->ninputs], sizeof r->text[0]);
    H5E_BEGIN_TRY
    {
      d = H5Dopen2(file, name, H5P_DEFAULT);
    }
    H5E_END_TRY;
    r->number[r->ninputs]  = NAN;
    r->unit[r->ninputs][0] = 0;
    if (d >= 0) {
      r->number[r->ninputs] = ReadNumber(d, "value", PETSC_TRUE);
      ReadText(d, "units", PETSC_TRUE, r->unit[r->ninputs], sizeof r->unit[0]);
      H5Dclose(d);
    }
    r->ninputs++;
  }
  r->solve_time = ReadNumber(file, "/metrics/solve_time", PETSC_FALSE);
  r->wall_time  = ReadNumber(file, "/sweep/wall_time", PETSC_FALSE);
  PetscCall(PetscMalloc1(MAX_METRICS, &r->metric));
  r->nmetrics = 0;
  H5E_BEGIN_TRY
  {
    g = H5Gopen2(file, "/metrics", H5P_DEFAULT);
    if (g >= 0) {
      H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, VisitMetric, &v);
      H5Gclose(g);
    }
  }
  H5E_END_TRY;
  H5Fclose(file);
  { /* keep only what was found: a sweep holds many records */
    Metric *m;
    PetscCall(PetscMalloc1(PetscMax(r->nmetrics, 1), &m));
    PetscCall(PetscArraycpy(m, r->metric, r->nmetrics));
    PetscCall(PetscFree(r->metric));
    r->metric = m;
  }
  *ok = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SummaryPointState(const char *path, const char *config, PointState *state)
{
  char        part[PETSC_MAX_PATH_LEN + 8], status[32];
  struct stat st;
  hid_t       file;
  char       *stored;

  PetscFunctionBeginUser;
  *state = POINT_NONE;
  PetscCall(PetscSNPrintf(part, sizeof part, "%s.part", path));
  if (stat(path, &st)) {
    if (!stat(part, &st)) *state = POINT_PARTIAL;
    PetscFunctionReturn(0);
  }
  *state = POINT_STALE;
  H5E_BEGIN_TRY
  {
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  }
  H5E_END_TRY;
  if (file < 0) PetscFunctionReturn(0);
  PetscCall(PetscMalloc1(TEXT_MAX * 8, &stored));
  ReadText(file, "/provenance/status", PETSC_FALSE, status, sizeof status);
  ReadText(file, "/provenance/config", PETSC_FALSE, stored, TEXT_MAX * 8);
  H5Fclose(file);
  if (config && !strcmp(stored, config)) {
    if (!strcmp(status, "complete") || !strcmp(status, "failed"))
      *state = POINT_DONE;
    else if (!strcmp(status, "interrupted"))
      *state = POINT_INTERRUPTED;
  }
  PetscCall(PetscFree(stored));
  PetscFunctionReturn(0);
}

/* ---- the summary ---- */

static PetscBool PointFileName(const char *name, PetscBool *partial)
{
  size_t n = strlen(name), digits = 0;

  if (strncmp(name, "point_", 6)) return PETSC_FALSE;
  for (const char *s = name + 6; *s >= '0' && *s <= '9'; s++)
    digits++;
  if (!digits) return PETSC_FALSE;
  *partial = (PetscBool)!strcmp(name + 6 + digits, ".h5.part");
  return (PetscBool)(*partial || (n == 6 + digits + 3 && !strcmp(name + 6 + digits, ".h5")));
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void CsvText(FILE *fp, const char *s)
{
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, fp);
    return;
  }
  fputc('"', fp);
  for (; *s; s++) {
    if (*s == '"') fputc('"', fp);
    fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
  }
  fputc('"', fp);
}

static void CsvNumber(FILE *fp, double v)
{
  if (!isnan(v)) fprintf(fp, "%.10g", v);
}

typedef struct {
  PetscInt  n;       /* rows: 0 .. points-1 */
  Record  **row;     /* NULL: missing */
  PetscInt  ninputs; /* from the first point file */
  char      key[MAX_SWEEP_AXES][64], unit[MAX_SWEEP_AXES][32];
  PetscBool numeric[MAX_SWEEP_AXES];
  PetscInt  nmetrics;
  Metric   *metric; /* names and units of the columns */
} Table;

static PetscErrorCode TableColumns(Table *t)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(MAX_METRICS, &t->metric));
  t->nmetrics = 0;
  t->ninputs  = -1;
  for (PetscInt i = 0; i < t->n; i++) {
    Record *r = t->row[i];
    if (!r) continue;
    if (t->ninputs < 0) {
      t->ninputs = r->ninputs;
      for (PetscInt a = 0; a < r->ninputs; a++) {
        PetscCall(PetscStrncpy(t->key[a], r->key[a], sizeof t->key[a]));
        PetscCall(PetscStrncpy(t->unit[a], r->unit[a], sizeof t->unit[a]));
        t->numeric[a] = PETSC_TRUE;
      }
    }
    for (PetscInt a = 0; a < t->ninputs && a < r->ninputs; a++)
      if (isnan(r->number[a])) t->numeric[a] = PETSC_FALSE;
    for (PetscInt m = 0; m < r->nmetrics; m++) {
      PetscInt k;
      for (k = 0; k < t->nmetrics; k++)
        if (!strcmp(t->metric[k].name, r->metric[m].name)) break;
      if (k == t->nmetrics && k < MAX_METRICS) t->metric[t->nmetrics++] = r->metric[m];
    }
  }
  if (t->ninputs < 0) t->ninputs = 0;
  PetscFunctionReturn(0);
}

static double MetricOf(const Record *r, const char *name)
{
  if (r)
    for (PetscInt m = 0; m < r->nmetrics; m++)
      if (!strcmp(r->metric[m].name, name)) return r->metric[m].value;
  return NAN;
}

static const char *StatusOf(const Record *r)
{
  return r ? (r->status[0] ? r->status : "unknown") : "missing";
}

static PetscErrorCode WriteCsv(const Table *t, const char *path)
{
  char  part[PETSC_MAX_PATH_LEN + 8];
  FILE *fp;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(part, sizeof part, "%s.part", path));
  fp = fopen(part, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "summary: cannot create %s: %s", part, strerror(errno));
  fputs("index", fp);
  for (PetscInt a = 0; a < t->ninputs; a++) {
    fputc(',', fp);
    if (t->numeric[a] && t->unit[a][0]) {
      char h[128];
      snprintf(h, sizeof h, "%s [%s]", t->key[a], t->unit[a]);
      CsvText(fp, h);
    } else
      CsvText(fp, t->key[a]);
  }
  for (PetscInt m = 0; m < t->nmetrics; m++) {
    char h[256];
    snprintf(h, sizeof h, "%s [%s]", t->metric[m].name, t->metric[m].units);
    fputc(',', fp);
    CsvText(fp, h);
  }
  fputs(",status,end_reason,solve_time [s],wall_time [s]\n", fp);
  for (PetscInt i = 0; i < t->n; i++) {
    const Record *r = t->row[i];
    fprintf(fp, "%d", (int)i);
    for (PetscInt a = 0; a < t->ninputs; a++) {
      fputc(',', fp);
      if (!r || a >= r->ninputs) continue;
      if (t->numeric[a])
        CsvNumber(fp, r->number[a]);
      else
        CsvText(fp, r->text[a]);
    }
    for (PetscInt m = 0; m < t->nmetrics; m++) {
      fputc(',', fp);
      CsvNumber(fp, MetricOf(r, t->metric[m].name));
    }
    fputc(',', fp);
    CsvText(fp, StatusOf(r));
    fputc(',', fp);
    CsvText(fp, r ? r->reason : "no point file");
    fputc(',', fp);
    CsvNumber(fp, r ? r->solve_time : NAN);
    fputc(',', fp);
    CsvNumber(fp, r ? r->wall_time : NAN);
    fputc('\n', fp);
  }
  PetscCheck(!ferror(fp) & !fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "summary: cannot write %s: %s", part, strerror(errno));
  PetscCheck(!rename(part, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "summary: cannot rename %s to %s: %s", part, path, strerror(errno));
  PetscFunctionReturn(0);
}

typedef struct {
  const Table *t;
  const char  *config_file;
} SummaryFile;

static PetscErrorCode WriteSummaryFile(hid_t file, void *ctx)
{
  const Table  *t           = ((const SummaryFile *)ctx)->t;
  const char   *config_file = ((const SummaryFile *)ctx)->config_file;
  const hsize_t n           = (hsize_t)t->n;
  long long    *index, points = t->n;
  double       *col;
  const char  **text;
  char          path[256], inputs[MAX_SWEEP_AXES * 66] = "";
  hid_t         root;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(n + 1, &index, n + 1, &col, n + 1, &text));
  H5Try(root = H5Gopen2(file, "/", H5P_DEFAULT), "open", "/");
  for (PetscInt a = 0; a < t->ninputs; a++) {
    if (a) PetscCall(Append(inputs, ",", sizeof inputs));
    PetscCall(Append(inputs, t->key[a], sizeof inputs));
  }
  PetscCall(WriteAttribute(root, "format", "ionstack sweep summary 1"));
  PetscCall(WriteAttribute(root, "config_file", config_file));
  PetscCall(WriteAttribute(root, "inputs", inputs));
  PetscCall(WriteNumberAttribute(root, "points", H5T_STD_I64LE, H5T_NATIVE_LLONG, &points));
  H5Try(H5Gclose(root), "close", "/");
  for (hsize_t i = 0; i < n; i++)
    index[i] = (long long)i;
  PetscCall(WriteColumn(file, "/index", H5T_STD_I64LE, H5T_NATIVE_LLONG, n, index, "1"));
  for (hsize_t i = 0; i < n; i++)
    text[i] = StatusOf(t->row[i]);
  PetscCall(WriteStrings(file, "/status", n, text));
  for (hsize_t i = 0; i < n; i++)
    text[i] = t->row[i] ? t->row[i]->reason : "no point file";
  PetscCall(WriteStrings(file, "/end_reason", n, text));
  for (hsize_t i = 0; i < n; i++)
    col[i] = t->row[i] ? t->row[i]->solve_time : NAN;
  PetscCall(WriteColumn(file, "/solve_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, col, "s"));
  for (hsize_t i = 0; i < n; i++)
    col[i] = t->row[i] ? t->row[i]->wall_time : NAN;
  PetscCall(WriteColumn(file, "/wall_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, col, "s"));
  for (PetscInt a = 0; a < t->ninputs; a++) {
    for (hsize_t i = 0; i < n; i++) {
      const Record *r = t->row[i];
      text[i]         = r && a < r->ninputs ? r->text[a] : "";
      col[i]          = r && a < r->ninputs ? r->number[a] : NAN;
    }
    PetscCall(PetscSNPrintf(path, sizeof path, "/inputs/%s", t->key[a]));
    if (t->numeric[a]) {
      PetscCall(WriteColumn(file, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, col, t->unit[a]));
      PetscCall(PetscSNPrintf(path, sizeof path, "/inputs_text/%s", t->key[a]));
    }
    PetscCall(WriteStrings(file, path, n, text));
  }
  for (PetscInt m = 0; m < t->nmetrics; m++) {
    for (hsize_t i = 0; i < n; i++)
      col[i] = MetricOf(t->row[i], t->metric[m].name);
    PetscCall(PetscSNPrintf(path, sizeof path, "/metrics/%s", t->metric[m].name));
    PetscCall(WriteColumn(file, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, col, t->metric[m].units));
  }
  PetscCall(PetscFree3(index, col, text));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteH5(const Table *t, const char *path, const char *config_file)
{
  SummaryFile f = {t, config_file};

  PetscFunctionBeginUser;
  PetscCall(WriteWhole(path, WriteSummaryFile, &f, "the sweep summary"));
  PetscFunctionReturn(0);
}

static PetscErrorCode Collect_Root(const char *dir, PetscInt *rows, PetscInt *files)
{
  DIR           *d;
  struct dirent *e;
  Record       **found  = NULL;
  PetscInt       nfound = 0, cap = 0, points = 0;
  Table          t;
  char           path[PETSC_MAX_PATH_LEN + 300], config_file[PETSC_MAX_PATH_LEN] = "";
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&t, sizeof t));
  d = opendir(dir);
  PetscCheck(d, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "collect: cannot open the sweep directory %s: %s", dir, strerror(errno));
  while ((e = readdir(d))) {
    PetscBool partial, ok;
    Record   *r;
    if (!PointFileName(e->d_name, &partial)) continue;
    if (partial) { /* the final file, where there is one, is the point's */
      struct stat st;
      snprintf(path, sizeof path, "%s/%.*s", dir, (int)(strlen(e->d_name) - 5), e->d_name);
      if (!stat(path, &st)) continue;
    }
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (nfound == cap) {
      Record **tmp;
      cap = cap ? 2 * cap : 256;
      PetscCall(PetscCalloc1(cap, &tmp));
      if (nfound) PetscCall(PetscArraycpy(tmp, found, nfound));
      PetscCall(PetscFree(found));
      found = tmp;
    }
    PetscCall(PetscCalloc1(1, &r));
    PetscCall(ReadRecord(path, partial, r, &ok, config_file, sizeof config_file));
    if (!ok || r->index < 0) {
      PetscCall(PetscFree(r->metric));
      PetscCall(PetscFree(r));
      continue;
    }
    found[nfound++] = r;
    points          = PetscMax(points, PetscMax(r->points, r->index + 1));
  }
  closedir(d);
  if (!nfound) {
    PetscCall(PetscFree(found));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "collect: %s holds no sweep point files (point_*.h5); run `ionstack sweep CONFIG` first", dir);
  }
  t.n = points;
  PetscCall(PetscCalloc1(points, &t.row));
  for (PetscInt i = 0; i < nfound; i++)
    if (found[i]->index < points && (!t.row[found[i]->index] || t.row[found[i]->index]->partial)) t.row[found[i]->index] = found[i];
  PetscCall(TableColumns(&t));
  snprintf(path, sizeof path, "%s/summary.h5", dir);
  ierr = WriteH5(&t, path, config_file);
  if (!ierr) {
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    ierr = WriteCsv(&t, path);
  }
  *rows  = points;
  *files = nfound;
  for (PetscInt i = 0; i < nfound; i++) {
    PetscCall(PetscFree(found[i]->metric));
    PetscCall(PetscFree(found[i]));
  }
  PetscCall(PetscFree(found));
  PetscCall(PetscFree(t.row));
  PetscCall(PetscFree(t.metric));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode SummaryCollect(MPI_Comm comm, const char *dir, PetscInt *rows, PetscInt *files)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr     = 0;
  PetscInt       count[3] = {0, 0, 0};

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    ierr     = Collect_Root(dir, &count[0], &count[1]);
    count[2] = ierr;
  }
  PetscCallMPI(MPI_Bcast(count, 3, MPIU_INT, 0, comm));
  if (rank == 0) PetscCall(ierr);
  PetscCheck(!count[2], comm, PETSC_ERR_FILE_WRITE, "collect: rank 0 could not write the summary of %s", dir);
  *rows  = count[0];
  *files = count[1];
  PetscFunctionReturn(0);
}
