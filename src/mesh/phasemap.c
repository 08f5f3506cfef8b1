/* Phase maps of 2D meshes (SPEC 4.3): the phase of each cell of an nx by ny
 * grid, x along the stack and y lateral.
 *
 * A map comes from a file (a PGM image, P2 or P5, 8 or 16 bits, or an HDF5
 * integer dataset), whose labels are mapped to phases, or from a generator
 * that draws the three layers of a stack with a flat, sinusoidal or rough
 * Li|SE interface, voids at that interface, or a random packing of circular
 * particles in the cathode layer; every cell gets the phase at its centre.
 * PhaseMapRegions then sorts the cells into the anode, separator, cathode and
 * void regions and refuses maps the model cannot solve: an anode end that is
 * not lithium, a cathode end that does not conduct electrons, lithium that
 * touches the cathode or connects both ends (short circuits), and lithium
 * connected to neither end (its potential would be undetermined).
 *
 * It does not build the grid, the unknowns or the materials (mesh.c does,
 * from the map and its regions), reads and writes on the calling rank only,
 * and holds the whole map in memory, which is why maps above 2^28 cells are
 * refused before anything is allocated. Random numbers come from splitmix64,
 * so a seed gives the same map on every machine. docs/phasemaps.md is the
 * user's description of all of it. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <hdf5.h>
#include "phasemap.h"

#define MAX_ATTEMPTS 1000000 /* random sequential addition gives up after this many rejected or accepted draws */
#define MAX_LISTED 3         /* cells a floating-lithium message lists */
#define PGM_LINE_VALUES 32   /* values per line of a P2 file: PGM asks for lines of at most 70 characters */

void PhaseMapDefaultLabels(PetscInt labels[PHASE_MAP_LABELS])
{
  for (PetscInt v = 0; v < PHASE_MAP_LABELS; v++)
    labels[v] = v < PHASE_COUNT ? v : -1;
}

PetscErrorCode PhaseMapCreate(PetscInt nx, PetscInt ny, PetscReal h, PhaseMap *map)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(map, sizeof *map));
  PetscCheck(nx >= 1 && ny >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "a phase map of %" PetscInt_FMT " x %" PetscInt_FMT " cells is empty; it needs at least one column and one row", nx, ny);
  PetscCheck((PetscInt64)nx * ny <= PHASE_MAP_MAX_CELLS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "a phase map of %" PetscInt_FMT " x %" PetscInt_FMT " cells has more than 2^28 cells; use a coarser map", nx, ny);
  map->nx = nx, map->ny = ny, map->hy = h;
  PetscCall(PetscMalloc1(nx, &map->hx));
  PetscCall(PetscCalloc1(nx * ny, &map->phase));
  for (PetscInt i = 0; i < nx; i++)
    map->hx[i] = h;
  PetscFunctionReturn(0);
}

PetscErrorCode PhaseMapDestroy(PhaseMap *map)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(map->hx));
  PetscCall(PetscFree(map->phase));
  PetscCall(PetscFree(map->particles));
  PetscCall(PetscMemzero(map, sizeof *map));
  PetscFunctionReturn(0);
}

/* Column centres, x of cell (i, j) for every j. */
static PetscErrorCode ColumnCentres(const PhaseMap *map, PetscReal **xc)
{
  PetscReal x = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(map->nx, xc));
  for (PetscInt i = 0; i < map->nx; i++) {
    (*xc)[i] = x + 0.5 * map->hx[i];
    x += map->hx[i];
  }
  PetscFunctionReturn(0);
}

/* ---- reading ---- */

/* Maps the raw labels the readers left in map->phase to phases. */
static PetscErrorCode MapLabels(const char *file, const PetscInt labels[PHASE_MAP_LABELS], PhaseMap *map)
{
  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < map->nx * map->ny; c++) {
    const PetscInt v = map->phase[c], i = c % map->nx, j = c / map->nx;
    PetscCheck(v >= 0 && v < PHASE_MAP_LABELS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "phase map %s: cell (column %" PetscInt_FMT ", row %" PetscInt_FMT ") holds label %" PetscInt_FMT
               "; labels must be 0..%d, change the file",
               file, i, j, v, PHASE_MAP_LABELS - 1);
    PetscCheck(labels[v] >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "phase map %s: label %" PetscInt_FMT " (first at column %" PetscInt_FMT ", row %" PetscInt_FMT
               ") is not mapped to a phase; map it in mesh.labels (e.g. mesh: {labels: {%" PetscInt_FMT ": electrolyte}}) or change the file",
               file, v, i, j, v);
    map->phase[c] = labels[v];
  }
  PetscFunctionReturn(0);
}

/* The next number of a PGM: skips white space and comments (# to the end of
 * the line). *v = -1 at the end of the file. The character after the number
 * is consumed when it is white space (for P5 it is the one byte before the
 * raster) and left for the next call when it starts a comment. */
static PetscErrorCode PgmNumber(FILE *fp, const char *file, const char *what, PetscInt64 max, PetscInt64 *v)
{
  int c = getc(fp);

  PetscFunctionBeginUser;
  while (c == '#' || (c != EOF && isspace(c))) {
    if (c == '#')
      while (c != '\n' && c != '\r' && c != EOF)
        c = getc(fp);
    if (c != EOF) c = getc(fp);
  }
  *v = -1;
  if (c == EOF) PetscFunctionReturn(0);
  PetscCheck(isdigit(c), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "phase map %s: expected %s, a number, but found '%c' at byte %ld; is it a PGM file?", file, what, c, ftell(fp) - 1);
  *v = 0;
  for (; c != EOF && isdigit(c); c = getc(fp)) {
    *v = 10 * *v + (c - '0');
    PetscCheck(*v <= max, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "phase map %s: %s is larger than %" PetscInt64_FMT, file, what, max);
  }
  PetscCheck(c == EOF || c == '#' || isspace(c), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "phase map %s: %s is followed by '%c' at byte %ld; PGM separates numbers by white space", file, what, c, ftell(fp) - 1);
  if (c == '#') ungetc(c, fp);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadPgm(FILE *fp, const char *file, PetscBool binary, PetscReal lateral_size, PhaseMap *map)
{
  PetscInt64 nx, ny, maxval, v;
  PetscInt   n, bytes;

  PetscFunctionBeginUser;
  PetscCall(PgmNumber(fp, file, "the width", PHASE_MAP_MAX_CELLS, &nx));
  PetscCall(PgmNumber(fp, file, "the height", PHASE_MAP_MAX_CELLS, &ny));
  PetscCall(PgmNumber(fp, file, "the maximum grey value", 65535, &maxval));
  PetscCheck(nx >= 1 && ny >= 1 && maxval >= 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "phase map %s: the header ends early or gives a zero width, height or maximum grey value (truncated file?)", file);
  PetscCheck(nx * ny <= PHASE_MAP_MAX_CELLS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "phase map %s has %" PetscInt64_FMT " x %" PetscInt64_FMT " cells, more than 2^28; use a coarser map", file, nx, ny);
  PetscCall(PhaseMapCreate((PetscInt)nx, (PetscInt)ny, lateral_size / (PetscReal)ny, map));
  n     = map->nx * map->ny;
  bytes = maxval > 255 ? 2 : 1;
  for (PetscInt c = 0; c < n; c++) {
    if (binary) {
      unsigned char b[2];
      PetscCheck(fread(b, 1, (size_t)bytes, fp) == (size_t)bytes, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
                 "phase map %s ends after %" PetscInt_FMT " of its %" PetscInt_FMT " cells (truncated file?)", file, c, n);
      v = bytes == 2 ? 256 * b[0] + b[1] : b[0]; /* 16-bit PGM is big-endian */
    } else {
      PetscCall(PgmNumber(fp, file, "a cell's label", 65535, &v));
      PetscCheck(v >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
                 "phase map %s ends after %" PetscInt_FMT " of its %" PetscInt_FMT " cells (truncated file?)", file, c, n);
    }
    PetscCheck(v <= maxval, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "phase map %s: cell (column %" PetscInt_FMT ", row %" PetscInt_FMT ") holds %" PetscInt64_FMT
               ", above the header's maximum %" PetscInt64_FMT,
               file, c % map->nx, c / map->nx, v, maxval);
    map->phase[c] = (PetscInt)v;
  }
  PetscFunctionReturn(0);
}

/* An HDF5 call that failed, named with the file and the object; HDF5's own stack print is off. */
#define H5Read(expr, file, op, object)                                                                                                               \
  do {                                                                                                                                               \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "phase map %s: cannot %s %s", file, op, object);                                   \
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

typedef struct {
  hid_t file, dset, type, space;
} H5Map;

static PetscErrorCode ReadHdf5Private(const char *file, const char *dataset, PetscReal lateral_size, H5Map *h, PhaseMap *map)
{
  H5T_class_t cls;
  int         rank;
  hsize_t     dims[2];

  PetscFunctionBeginUser;
  H5Read(h->file = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT), file, "open", "it as an HDF5 file");
  h->dset = H5Dopen2(h->file, dataset, H5P_DEFAULT);
  PetscCheck(h->dset >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "phase map %s has no dataset %s; name the dataset as %s:/path (the default is /phase_map)", file, dataset, file);
  H5Read(h->type = H5Dget_type(h->dset), file, "get the type of dataset", dataset);
  H5Read(cls = H5Tget_class(h->type), file, "get the type class of dataset", dataset);
  PetscCheck(cls == H5T_INTEGER, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "phase map %s: dataset %s holds %s, not integers; write the labels as an integer dataset", file, dataset,
             cls == H5T_FLOAT ? "floating-point numbers" : (cls == H5T_STRING ? "strings" : "a non-integer type"));
  H5Read(h->space = H5Dget_space(h->dset), file, "get the dataspace of dataset", dataset);
  H5Read(rank = H5Sget_simple_extent_ndims(h->space), file, "get the rank of dataset", dataset);
  PetscCheck(rank == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "phase map %s: dataset %s has %d dimensions; a phase map has two (rows, columns)",
             file, dataset, rank);
  H5Read(H5Sget_simple_extent_dims(h->space, dims, NULL), file, "get the dimensions of dataset", dataset);
  PetscCheck(dims[0] >= 1 && dims[1] >= 1 && dims[0] <= PHASE_MAP_MAX_CELLS && dims[1] <= PHASE_MAP_MAX_CELLS &&
                 dims[0] * dims[1] <= PHASE_MAP_MAX_CELLS,
             PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "phase map %s: dataset %s has %llu rows of %llu cells; a map needs 1 to 2^28 cells", file,
             dataset, (unsigned long long)dims[0], (unsigned long long)dims[1]);
  PetscCall(PhaseMapCreate((PetscInt)dims[1], (PetscInt)dims[0], lateral_size / (PetscReal)dims[0], map));
  /* out-of-range values convert to the type's limits, which MapLabels refuses */
  H5Read(H5Dread(h->dset, sizeof(PetscInt) == 8 ? H5T_NATIVE_INT64 : H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, map->phase), file,
         "read dataset", dataset);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadHdf5(const char *file, const char *dataset, PetscReal lateral_size, PhaseMap *map)
{
  H5Map          h = {-1, -1, -1, -1};
  H5Quiet        q;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  QuietBegin(&q);
  ierr = ReadHdf5Private(file, dataset, lateral_size, &h, map);
  if (h.space >= 0) (void)H5Sclose(h.space);
  if (h.type >= 0) (void)H5Tclose(h.type);
  if (h.dset >= 0) (void)H5Dclose(h.dset);
  if (h.file >= 0) (void)H5Fclose(h.file);
  QuietEnd(&q);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

static PetscBool EndsWith(const char *s, size_t n, const char *tail)
{
  const size_t t = strlen(tail);
  return (PetscBool)(n >= t && !strncasecmp(s + n - t, tail, t));
}

/* Which reader, by the file's first bytes; "FILE.h5:/path" names a dataset. */
static PetscErrorCode ReadPrivate(const char *path, PetscReal lateral_size, PhaseMap *map)
{
  static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  char                       file[PETSC_MAX_PATH_LEN], dataset[PETSC_MAX_PATH_LEN] = "/phase_map";
  const char                *colon = strstr(path, ":/");
  unsigned char              magic[8];
  size_t                     got;
  FILE                      *fp;
  PetscErrorCode             ierr;

  PetscBool split = PETSC_FALSE;

  PetscFunctionBeginUser;
  for (const char *c = colon; c; c = strstr(c + 1, ":/"))
    colon = c; /* the last ":/" */
  if (colon && (EndsWith(path, (size_t)(colon - path), ".h5") || EndsWith(path, (size_t)(colon - path), ".hdf5"))) {
    split = PETSC_TRUE;
    PetscCheck((size_t)(colon - path) < sizeof file && strlen(colon + 1) < sizeof dataset, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "phase map %s: the name is too long", path);
    memcpy(file, path, (size_t)(colon - path));
    file[colon - path] = 0;
    PetscCall(PetscStrncpy(dataset, colon + 1, sizeof dataset));
  } else {
    PetscCheck(strlen(path) < sizeof file, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "phase map %s: the name is too long", path);
    PetscCall(PetscStrncpy(file, path, sizeof file));
  }
  fp = fopen(file, "rb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open phase map %s: %s; check mesh.file", file, strerror(errno));
  got = fread(magic, 1, sizeof magic, fp);
  if (got == sizeof magic && !memcmp(magic, hdf5_signature, sizeof magic)) {
    fclose(fp);
    PetscCall(ReadHdf5(file, dataset, lateral_size, map));
    PetscFunctionReturn(0);
  }
  if (got >= 2 && magic[0] == 'P' && (magic[1] == '2' || magic[1] == '5') && (got == 2 || isspace(magic[2]) || magic[2] == '#')) {
    PetscCheck(!split, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "phase map %s is a PGM image: it has no dataset %s", file, dataset);
    if (fseek(fp, 2, SEEK_SET)) {
      fclose(fp);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "phase map %s: cannot seek in it: %s", file, strerror(errno));
    }
    ierr = ReadPgm(fp, file, (PetscBool)(magic[1] == '5'), lateral_size, map);
    fclose(fp);
    PetscCall(ierr);
    PetscFunctionReturn(0);
  }
  fclose(fp);
  PetscCheck(!(got >= 2 && magic[0] == 'P' && magic[1] >= '1' && magic[1] <= '6'), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "phase map %s is a P%c image, not a grey-scale PGM; save it as P2 or P5 with one grey value per label", file, magic[1]);
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
          "phase map %s is neither a PGM image (starting P2 or P5) nor an HDF5 file; give a phase map in one of these formats (docs/phasemaps.md)",
          file);
}

PetscErrorCode PhaseMapRead(const char *path, const PetscInt labels[PHASE_MAP_LABELS], PetscReal lateral_size, PhaseMap *map)
{
  PetscInt       defaults[PHASE_MAP_LABELS];
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(map, sizeof *map));
  PetscCheck(lateral_size > 0 && PetscIsNormalReal(lateral_size), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.lateral_size = %g m: the lateral size of phase map %s must be > 0", (double)lateral_size, path);
  if (!labels) {
    PhaseMapDefaultLabels(defaults);
    labels = defaults;
  }
  for (PetscInt v = 0; v < PHASE_MAP_LABELS; v++)
    PetscCheck(labels[v] >= -1 && labels[v] < PHASE_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "mesh.labels maps label %" PetscInt_FMT " to %" PetscInt_FMT
               ", which is not a phase; map it to void, lithium, electrolyte, active, composite or collector",
               v, labels[v]);
  ierr = ReadPrivate(path, lateral_size, map);
  if (!ierr) ierr = MapLabels(path, labels, map);
  if (ierr) { /* free what was read; the error keeps its message */
    (void)PhaseMapDestroy(map);
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

/* ---- writing ---- */

PetscErrorCode PhaseMapWritePGM(const PhaseMap *map, const char *path, PetscBool binary)
{
  const PetscInt n  = map->nx * map->ny;
  PetscBool      ok = PETSC_TRUE;
  FILE          *fp;

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < n; c++)
    PetscCheck(map->phase[c] >= 0 && map->phase[c] < PHASE_COUNT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "cell (%" PetscInt_FMT ", %" PetscInt_FMT ") of the map holds %" PetscInt_FMT ", which is not a phase", c % map->nx, c / map->nx,
               map->phase[c]);
  fp = fopen(path, "wb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create phase map %s: %s", path, strerror(errno));
  /* the largest label as the maximum grey value, so that viewers show the phases as distinct greys */
  ok =
      (PetscBool)(fprintf(fp,
                          "%s\n# ionstack phase map: columns along x from the anode end, rows along y; cell height %g um\n"
                          "# labels: 0 void, 1 lithium, 2 electrolyte, 3 active, 4 composite, 5 collector\n%" PetscInt_FMT " %" PetscInt_FMT "\n%d\n",
                          binary ? "P5" : "P2", (double)(map->hy * 1e6), map->nx, map->ny, PHASE_COUNT - 1) > 0);
  for (PetscInt j = 0; ok && j < map->ny; j++)
    for (PetscInt i = 0; ok && i < map->nx; i++) {
      const PetscInt v = map->phase[j * map->nx + i];
      if (binary)
        ok = (PetscBool)(putc((int)v, fp) != EOF);
      else
        ok = (PetscBool)(fprintf(fp, "%" PetscInt_FMT "%c", v, i + 1 == map->nx || (i + 1) % PGM_LINE_VALUES == 0 ? '\n' : ' ') > 0);
    }
  ok = (PetscBool)(!fclose(fp) && ok);
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write phase map %s: %s", path, strerror(errno));
  PetscFunctionReturn(0);
}

/* ---- generators ---- */

/* splitmix64: portable, and one 64-bit state is all a seed needs. */
static uint64_t SplitMix64(uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z          = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z          = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* uniform in [0, 1), from the top 53 bits */
static PetscReal Uniform(uint64_t *s)
{
  return (PetscReal)(SplitMix64(s) >> 11) * 0x1.0p-53;
}

static const char *const ThicknessKeys[3] = {"anode.thickness", "separator.thickness", "cathode.thickness"};

/* The stack's columns: layer l has ncol[l] columns of width t_l / ncol[l], from column first[l]. */
typedef struct {
  PetscReal h, face[4]; /* row height; x of the layer faces 0, t_a, t_a + t_s, L */
  PetscInt  ncol[3], first[4];
} StackColumns;

static PetscErrorCode CheckCommon(const PhaseMapGenerator *g, StackColumns *s)
{
  PetscReal cells = 0;

  PetscFunctionBeginUser;
  PetscCheck(g->lateral_size > 0 && PetscIsNormalReal(g->lateral_size), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.lateral_size = %g um: the lateral size of a generated map must be > 0", (double)(g->lateral_size * 1e6));
  PetscCheck(g->lateral_cells >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.lateral_cells = %" PetscInt_FMT ": a generated map needs at least one row", g->lateral_cells);
  PetscCheck(g->cathode_phase == PHASE_ACTIVE || g->cathode_phase == PHASE_COMPOSITE || g->cathode_phase == PHASE_LITHIUM, PETSC_COMM_SELF,
             PETSC_ERR_USER_INPUT, "a generated map's cathode must be active, composite or lithium, not %s; change cathode.model",
             g->cathode_phase >= 0 && g->cathode_phase < PHASE_COUNT ? PhaseNames[g->cathode_phase] : "an unknown phase");
  s->h        = g->lateral_size / g->lateral_cells;
  s->face[0]  = 0;
  s->first[0] = 0;
  for (int l = 0; l < 3; l++) {
    PetscReal n;
    PetscCheck(g->thickness[l] > 0 && PetscIsNormalReal(g->thickness[l]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s = %g um: a layer must be thicker than 0", ThicknessKeys[l], (double)(g->thickness[l] * 1e6));
    n = PetscMax(1.0, round(g->thickness[l] / s->h));
    cells += n;
    /* in floating point first: a layer of many cells must not overflow the count */
    PetscCheck(cells * g->lateral_cells <= PHASE_MAP_MAX_CELLS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "a generated map of %g x %" PetscInt_FMT " cells (cells of %g um) has more than 2^28 cells; lower mesh.lateral_cells", (double)cells,
               g->lateral_cells, (double)(s->h * 1e6));
    s->ncol[l]      = (PetscInt)n;
    s->first[l + 1] = s->first[l] + s->ncol[l];
    s->face[l + 1]  = s->face[l] + g->thickness[l];
  }
  PetscFunctionReturn(0);
}

/* Lithium below x = t_a + delta[j] in the anode and separator columns, electrolyte above. */
static void FillInterface(const StackColumns *s, const PetscReal *xc, const PetscReal *delta, PhaseMap *map)
{
  for (PetscInt j = 0; j < map->ny; j++)
    for (PetscInt i = 0; i < s->first[2]; i++)
      map->phase[j * map->nx + i] = xc[i] < s->face[1] + delta[j] ? PHASE_LITHIUM : PHASE_ELECTROLYTE;
}

static PetscErrorCode CheckInterfaceExcursion(const PhaseMapGenerator *g, PetscReal excursion, const char *key)
{
  PetscFunctionBeginUser;
  PetscCheck(excursion < g->thickness[0] && excursion < g->thickness[1], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: the Li|SE interface moves up to %g um from the layer face, which would leave its layers (anode.thickness = %g um, "
             "separator.thickness = %g "
             "um); lower %s or thicken the layers",
             key, (double)(excursion * 1e6), (double)(g->thickness[0] * 1e6), (double)(g->thickness[1] * 1e6), key);
  PetscFunctionReturn(0);
}

static PetscErrorCode Sinusoidal(const PhaseMapGenerator *g, PetscReal *delta)
{
  const PetscReal W = g->lateral_size;

  PetscFunctionBeginUser;
  PetscCheck(g->amplitude >= 0 && !PetscIsInfOrNanReal(g->amplitude), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.amplitude = %g um: the amplitude of a sinusoidal interface must be >= 0", (double)(g->amplitude * 1e6));
  PetscCall(CheckInterfaceExcursion(g, g->amplitude, "mesh.amplitude"));
  PetscCheck(g->wavelength > 0 && PetscIsNormalReal(g->wavelength), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.wavelength = %g um: the wavelength of a sinusoidal interface must be > 0", (double)(g->wavelength * 1e6));
  if (g->periodic) {
    const PetscReal periods = W / g->wavelength;
    PetscCheck(
        periods >= 1 - 1e-9 && PetscAbsReal(periods - round(periods)) <= 1e-9 * periods, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
        "mesh.wavelength = %g um does not divide mesh.lateral_size = %g um (%g periods), so the interface would jump at the periodic boundary; "
        "choose mesh.wavelength = mesh.lateral_size / n",
        (double)(g->wavelength * 1e6), (double)(W * 1e6), (double)periods);
  }
  for (PetscInt j = 0; j < g->lateral_cells; j++)
    delta[j] = g->amplitude * PetscSinReal(2 * PETSC_PI * (j + 0.5) * (W / g->lateral_cells) / g->wavelength);
  PetscFunctionReturn(0);
}

/* A periodic random height: Fourier modes k = 1..ny/2 of amplitude
 * exp(-(pi k l / W)^2 / 2), the square root of the spectrum of the Gaussian
 * correlation exp(-r^2 / l^2), with random phases, then shifted and scaled
 * to zero mean and the requested rms over the row centres. The amplitudes
 * are taken relative to mode 1, so a long correlation length does not
 * underflow them all. The phases are drawn in mode order, so a finer grid
 * of the same seed keeps the coarse grid's modes. */
static PetscErrorCode Rough(const PhaseMapGenerator *g, PetscReal *delta)
{
  const PetscInt  ny = g->lateral_cells, K = ny / 2;
  const PetscReal W = g->lateral_size, q = PETSC_PI * g->correlation_length / W;
  uint64_t        state = (uint64_t)g->seed;
  PetscReal       mean = 0, rms = 0, peak = 0;

  PetscFunctionBeginUser;
  PetscCheck(g->rms >= 0 && !PetscIsInfOrNanReal(g->rms), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.rms = %g um: the rms of a rough interface must be >= 0", (double)(g->rms * 1e6));
  PetscCheck(g->correlation_length > 0 && PetscIsNormalReal(g->correlation_length), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.correlation_length = %g um: the correlation length of a rough interface must be > 0", (double)(g->correlation_length * 1e6));
  PetscCheck(g->seed >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh.seed = %" PetscInt_FMT ": the seed must be >= 0", g->seed);
  for (PetscInt j = 0; j < ny; j++)
    delta[j] = 0;
  if (g->rms == 0) PetscFunctionReturn(0); /* exactly the flat map */
  PetscCheck(ny >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.lateral_cells = %" PetscInt_FMT ": a rough interface needs at least 2 rows to vary; raise mesh.lateral_cells", ny);
  for (PetscInt k = 1; k <= K; k++) {
    const PetscReal a = PetscExpReal(-0.5 * q * q * (PetscReal)(k * k - 1)), phase = 2 * PETSC_PI * Uniform(&state);
    for (PetscInt j = 0; j < ny && a > 0; j++)
      delta[j] += a * PetscCosReal(2 * PETSC_PI * k * (j + 0.5) / ny + phase);
  }
  for (PetscInt j = 0; j < ny; j++)
    mean += delta[j] / ny;
  for (PetscInt j = 0; j < ny; j++)
    rms += PetscSqr(delta[j] - mean) / ny;
  rms = PetscSqrtReal(rms);
  PetscCheck(rms > 1e-6, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.seed = %" PetscInt_FMT " draws an interface that is flat at the %" PetscInt_FMT
             " row centres; choose another mesh.seed or raise mesh.lateral_cells",
             g->seed, ny);
  for (PetscInt j = 0; j < ny; j++) {
    delta[j] = (delta[j] - mean) * (g->rms / rms);
    peak     = PetscMax(peak, PetscAbsReal(delta[j]));
  }
  PetscCall(CheckInterfaceExcursion(g, peak, "mesh.rms"));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckVoids(const PhaseMapGenerator *g, const StackColumns *s)
{
  PetscReal period;

  PetscFunctionBeginUser;
  PetscCheck(g->void_count >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh.void_count = %" PetscInt_FMT ": there must be at least one void",
             g->void_count);
  PetscCheck(g->contact_fraction > 0 && g->contact_fraction <= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.contact_fraction = %g: the share of the Li|SE interface in contact must be in (0, 1]", (double)g->contact_fraction);
  if (g->contact_fraction == 1) PetscFunctionReturn(0); /* no voids */
  period = g->lateral_size / g->void_count;
  PetscCheck(g->void_depth > 0 && g->void_depth < g->thickness[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.void_depth = %g um: the depth of the voids must be in (0, anode.thickness = %g um)", (double)(g->void_depth * 1e6),
             (double)(g->thickness[0] * 1e6));
  PetscCheck(
      g->void_depth >= g->thickness[0] / s->ncol[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
      "mesh.void_depth = %g um is less than one anode cell (%g um): the grid cannot resolve the voids; deepen them or raise mesh.lateral_cells",
      (double)(g->void_depth * 1e6), (double)(g->thickness[0] / s->ncol[0] * 1e6));
  PetscCheck((1 - g->contact_fraction) * period >= s->h, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "the voids of mesh.contact_fraction = %g and mesh.void_count = %" PetscInt_FMT
             " are %g um wide, less than one cell (%g um): the grid cannot "
             "resolve them; lower mesh.contact_fraction or mesh.void_count, or raise mesh.lateral_cells",
             (double)g->contact_fraction, g->void_count, (double)((1 - g->contact_fraction) * period * 1e6), (double)(s->h * 1e6));
  PetscCheck(g->contact_fraction * period >= s->h, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "the contacts of mesh.contact_fraction = %g and mesh.void_count = %" PetscInt_FMT
             " are %g um wide, less than one cell (%g um): the grid "
             "cannot resolve them; raise mesh.contact_fraction or mesh.lateral_cells, or lower mesh.void_count",
             (double)g->contact_fraction, g->void_count, (double)(g->contact_fraction * period * 1e6), (double)(s->h * 1e6));
  PetscFunctionReturn(0);
}

/* Void from x = t_a - depth to t_a outside the contact band centred in each period. */
static void FillVoids(const PhaseMapGenerator *g, const StackColumns *s, const PetscReal *xc, PhaseMap *map)
{
  const PetscReal period = g->lateral_size / g->void_count, half = 0.5 * g->contact_fraction * period;

  if (g->contact_fraction == 1) return;
  for (PetscInt j = 0; j < map->ny; j++) {
    const PetscReal y = (j + 0.5) * s->h, in = y - period * PetscFloorReal(y / period);
    /* a centre on the band's edge counts as contact, whichever way rounding puts it */
    if (PetscAbsReal(in - 0.5 * period) <= half + 1e-9 * s->h) continue;
    for (PetscInt i = 0; i < s->first[1]; i++)
      if (xc[i] >= s->face[1] - g->void_depth) map->phase[j * map->nx + i] = PHASE_VOID;
  }
}

static PetscErrorCode CheckParticles(const PhaseMapGenerator *g, const StackColumns *s)
{
  const PetscReal rmax = g->particle_radius + g->radius_spread;

  PetscFunctionBeginUser;
  PetscCheck(g->particle_fraction > 0 && g->particle_fraction < 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.particle_fraction = %g: the particles' area fraction of the cathode layer must be in (0, 1)", (double)g->particle_fraction);
  PetscCheck(g->particle_radius > 0 && PetscIsNormalReal(g->particle_radius), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.particle_radius = %g um: the particle radius must be > 0", (double)(g->particle_radius * 1e6));
  PetscCheck(g->radius_spread >= 0 && g->radius_spread < g->particle_radius, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.radius_spread = %g um: the spread of the radii must be in [0, mesh.particle_radius = %g um)", (double)(g->radius_spread * 1e6),
             (double)(g->particle_radius * 1e6));
  PetscCheck(g->seed >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh.seed = %" PetscInt_FMT ": the seed must be >= 0", g->seed);
  PetscCheck(
      2 * rmax <= g->thickness[2], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
      "particles of radius up to %g um (mesh.particle_radius + mesh.radius_spread) do not fit the cathode layer (cathode.thickness = %g um); lower "
      "them or thicken the cathode",
      (double)(rmax * 1e6), (double)(g->thickness[2] * 1e6));
  PetscCheck(2 * rmax <= g->lateral_size, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "particles of radius up to %g um (mesh.particle_radius + mesh.radius_spread) do not fit mesh.lateral_size = %g um; lower them",
             (double)(rmax * 1e6), (double)(g->lateral_size * 1e6));
  PetscCheck(g->particle_radius - g->radius_spread >= s->h, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "particles of radius down to %g um (mesh.particle_radius - mesh.radius_spread) are smaller than a cell (%g um): the grid cannot resolve "
             "them; raise mesh.lateral_cells or mesh.particle_radius",
             (double)((g->particle_radius - g->radius_spread) * 1e6), (double)(s->h * 1e6));
  PetscFunctionReturn(0);
}

/* Random sequential addition of circles in the cathode layer; the cells
 * whose centres they hold become the cathode phase, the rest electrolyte,
 * and the last column the cathode phase: a backing through which every
 * particle that reaches it passes electrons to the collector. */
static PetscErrorCode Particles(const PhaseMapGenerator *g, const StackColumns *s, const PetscReal *xc, PhaseMap *map)
{
  const PetscReal x0 = s->face[2], tc = g->thickness[2], W = g->lateral_size, target = g->particle_fraction * tc * W;
  const PetscReal rmin  = g->particle_radius - g->radius_spread;
  const PetscInt  cap   = (PetscInt)(target / (PETSC_PI * rmin * rmin)) + 2;
  uint64_t        state = (uint64_t)g->seed;
  PetscReal       area  = 0, *c;
  PetscInt        n     = 0, attempts;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(3 * cap, &map->particles));
  c = map->particles;
  for (attempts = 0; attempts < MAX_ATTEMPTS && area < target && n < cap; attempts++) {
    const PetscReal r = rmin + 2 * g->radius_spread * Uniform(&state), x = x0 + r + (tc - 2 * r) * Uniform(&state);
    const PetscReal y    = g->periodic ? W * Uniform(&state) : r + (W - 2 * r) * Uniform(&state);
    PetscBool       room = PETSC_TRUE;
    for (PetscInt k = 0; k < n && room; k++) {
      PetscReal dy = PetscAbsReal(y - c[3 * k + 1]);
      if (g->periodic && dy > 0.5 * W) dy = W - dy;
      room = (PetscBool)(PetscSqr(x - c[3 * k]) + dy * dy >= PetscSqr(r + c[3 * k + 2]));
    }
    if (!room) continue;
    c[3 * n] = x, c[3 * n + 1] = y, c[3 * n + 2] = r, n++;
    area += PETSC_PI * r * r;
  }
  map->nparticles = n;
  PetscCheck(area >= target, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "particles: random sequential addition placed %" PetscInt_FMT " particles covering %.3f of the cathode layer in %" PetscInt_FMT
             " attempts, short of mesh.particle_fraction = %.3f; lower mesh.particle_fraction, or change mesh.particle_radius or mesh.radius_spread",
             n, (double)(area / (tc * W)), attempts, (double)g->particle_fraction);
  for (PetscInt j = 0; j < map->ny; j++)
    for (PetscInt i = s->first[2]; i < map->nx; i++)
      map->phase[j * map->nx + i] = PHASE_ELECTROLYTE;
  for (PetscInt k = 0; k < n; k++) {
    const PetscReal x = c[3 * k], y = c[3 * k + 1], r = c[3 * k + 2];
    const PetscInt  jlo = (PetscInt)PetscFloorReal((y - r) / s->h), jhi = (PetscInt)PetscCeilReal((y + r) / s->h);
    for (PetscInt i = s->first[2]; i < map->nx; i++) {
      if (PetscAbsReal(xc[i] - x) > r) continue;
      for (PetscInt jj = jlo; jj <= jhi; jj++) {
        const PetscInt  j  = g->periodic ? ((jj % map->ny) + map->ny) % map->ny : jj;
        const PetscReal yc = (jj + 0.5) * s->h; /* unwrapped, beside the circle */
        if (j < 0 || j >= map->ny) continue;
        if (PetscSqr(xc[i] - x) + PetscSqr(yc - y) < r * r) map->phase[j * map->nx + i] = g->cathode_phase;
      }
    }
  }
  for (PetscInt j = 0; j < map->ny; j++)
    map->phase[j * map->nx + map->nx - 1] = g->cathode_phase;
  PetscFunctionReturn(0);
}

/* What the kind adds to the flat stack. */
static PetscErrorCode FillKind(const PhaseMapGenerator *g, const StackColumns *s, const PetscReal *xc, PetscReal *delta, PhaseMap *map)
{
  PetscFunctionBeginUser;
  switch (g->kind) {
  case GENERATOR_SINUSOIDAL:
    PetscCall(Sinusoidal(g, delta));
    FillInterface(s, xc, delta, map);
    break;
  case GENERATOR_ROUGH:
    PetscCall(Rough(g, delta));
    FillInterface(s, xc, delta, map);
    break;
  case GENERATOR_VOIDS:
    FillVoids(g, s, xc, map);
    break;
  case GENERATOR_PARTICLES:
    PetscCall(Particles(g, s, xc, map));
    break;
  default:
    break;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode GeneratePrivate(const PhaseMapGenerator *g, const StackColumns *s, PhaseMap *map)
{
  PetscReal     *xc, *delta;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PhaseMapCreate(s->first[3], g->lateral_cells, s->h, map));
  for (int l = 0; l < 3; l++)
    for (PetscInt i = s->first[l]; i < s->first[l + 1]; i++) {
      map->hx[i] = g->thickness[l] / s->ncol[l];
      for (PetscInt j = 0; j < map->ny; j++)
        map->phase[j * map->nx + i] = l == 0 ? PHASE_LITHIUM : (l == 1 ? PHASE_ELECTROLYTE : g->cathode_phase);
    }
  PetscCall(ColumnCentres(map, &xc));
  PetscCall(PetscCalloc1(map->ny, &delta));
  ierr = FillKind(g, s, xc, delta, map);
  PetscCall(PetscFree(delta));
  PetscCall(PetscFree(xc));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode PhaseMapGenerate(const PhaseMapGenerator *g, PhaseMap *map)
{
  StackColumns   s;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(map, sizeof *map));
  PetscCheck(g->kind > GENERATOR_NONE && g->kind < GENERATOR_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "mesh.generator: no generator chosen; use flat, sinusoidal, rough, voids or particles, or give a phase map file (mesh.file)");
  PetscCall(CheckCommon(g, &s));
  if (g->kind == GENERATOR_VOIDS) PetscCall(CheckVoids(g, &s));
  if (g->kind == GENERATOR_PARTICLES) PetscCall(CheckParticles(g, &s));
  ierr = GeneratePrivate(g, &s, map);
  if (ierr) { /* free what was built; the error keeps its message */
    (void)PhaseMapDestroy(map);
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

/* ---- regions ---- */

static PetscBool Electronic(PetscInt p)
{
  return (PetscBool)(p == PHASE_LITHIUM || p == PHASE_ACTIVE || p == PHASE_COMPOSITE || p == PHASE_COLLECTOR);
}

static PetscBool Cathodic(PetscInt p)
{
  return (PetscBool)(p == PHASE_ACTIVE || p == PHASE_COMPOSITE);
}

/* The 4 neighbours of cell c, -1 past a non-periodic edge. */
static void Neighbours(const PhaseMap *map, PetscBool periodic, PetscInt c, PetscInt nb[4])
{
  const PetscInt nx = map->nx, ny = map->ny, i = c % nx, j = c / nx;

  nb[0] = i > 0 ? c - 1 : -1;
  nb[1] = i + 1 < nx ? c + 1 : -1;
  nb[2] = j > 0 ? c - nx : (periodic && ny > 1 ? c + (ny - 1) * nx : -1);
  nb[3] = j + 1 < ny ? c + nx : (periodic && ny > 1 ? c - (ny - 1) * nx : -1);
}

typedef struct {
  PetscInt  cells, listed, list[MAX_LISTED];
  PetscBool anode_end, cathode_end;
} Component;

/* The lithium component holding cell seed, labelled id in comp[], found
 * breadth first; its cells are left in queue[0 .. k->cells). */
static void LithiumComponent(const PhaseMap *map, PetscBool periodic, PetscInt seed, PetscInt id, PetscInt *comp, PetscInt *queue, Component *k)
{
  PetscInt tail = 0;

  *k            = (Component){0};
  comp[seed]    = id;
  queue[tail++] = seed;
  while (k->cells < tail) {
    const PetscInt c = queue[k->cells], i = c % map->nx;
    PetscInt       nb[4];
    if (k->listed < MAX_LISTED) k->list[k->listed++] = c;
    k->cells++;
    if (i == 0) k->anode_end = PETSC_TRUE;
    if (i == map->nx - 1) k->cathode_end = PETSC_TRUE;
    Neighbours(map, periodic, c, nb);
    for (int d = 0; d < 4; d++)
      if (nb[d] >= 0 && comp[nb[d]] < 0 && map->phase[nb[d]] == PHASE_LITHIUM) comp[nb[d]] = id, queue[tail++] = nb[d];
  }
}

static PetscErrorCode RegionsPrivate(const PhaseMap *map, PetscBool periodic, const char *origin, const PetscReal *xc, PetscInt *comp,
                                     PetscInt *queue, PetscInt *region, PhaseType *cathode_phase)
{
  const PetscInt nx = map->nx, ny = map->ny, n = nx * ny;
  PetscInt       id = 0, electrolyte = 0, cathode_cell = -1, first[PHASE_COUNT];

#define CELL_FMT "(%" PetscInt_FMT ", %" PetscInt_FMT ") at x = %g um, y = %g um"
#define CELL_ARGS(c) (c) % nx, (c) / nx, (double)(xc[(c) % nx] * 1e6), (double)(((c) / nx + 0.5) * map->hy * 1e6)
  PetscFunctionBeginUser;
  for (PetscInt p = 0; p < PHASE_COUNT; p++)
    first[p] = -1;
  for (PetscInt c = 0; c < n; c++) {
    PetscCheck(map->phase[c] >= 0 && map->phase[c] < PHASE_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: cell " CELL_FMT " holds %" PetscInt_FMT ", which is not a phase", origin, CELL_ARGS(c), map->phase[c]);
    if (first[map->phase[c]] < 0) first[map->phase[c]] = c;
  }
  PetscCheck(first[PHASE_COLLECTOR] < 0, PETSC_COMM_SELF, PETSC_ERR_SUP,
             "%s: cell " CELL_FMT " is a current collector; collector cells are not available in 2D maps yet (the collectors are outside the mesh, "
             "see anode.collector and cathode.collector): map them to lithium or remove them",
             origin, CELL_ARGS(first[PHASE_COLLECTOR]));
  for (PetscInt j = 0; j < ny; j++)
    PetscCheck(map->phase[j * nx] == PHASE_LITHIUM, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: the anode end (column 0) must be lithium, but row %" PetscInt_FMT " there is %s; the anode end carries the current to the anode "
               "collector",
               origin, j, PhaseNames[map->phase[j * nx]]);
  for (PetscInt j = 0; j < ny; j++)
    PetscCheck(Electronic(map->phase[j * nx + nx - 1]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: the cathode end (column %" PetscInt_FMT ") must conduct electrons (lithium, active or composite), but row %" PetscInt_FMT
               " there is %s; the cathode end carries the applied current",
               origin, nx - 1, j, PhaseNames[map->phase[j * nx + nx - 1]]);
  for (PetscInt c = 0; c < n; c++) {
    PetscInt nb[4];
    if (map->phase[c] != PHASE_LITHIUM) continue;
    Neighbours(map, periodic, c, nb);
    for (int d = 0; d < 4; d++)
      PetscCheck(nb[d] < 0 || !Cathodic(map->phase[nb[d]]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: lithium cell " CELL_FMT " shares a face with %s cell " CELL_FMT
                 ": the cell is short-circuited; put electrolyte (or void) between lithium and the cathode",
                 origin, CELL_ARGS(c), PhaseNames[map->phase[nb[d]]], CELL_ARGS(nb[d]));
  }
  for (PetscInt c = 0; c < n; c++)
    comp[c] = -1;
  for (PetscInt c = 0; c < n; c++) {
    Component k;
    char      cells[256] = "";
    if (map->phase[c] != PHASE_LITHIUM || comp[c] >= 0) continue;
    LithiumComponent(map, periodic, c, id, comp, queue, &k);
    PetscCheck(!(k.anode_end && k.cathode_end), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: lithium connects the anode end to the cathode end (through cell " CELL_FMT
               "): the cell is short-circuited; put electrolyte across "
               "the lithium",
               origin, CELL_ARGS(c));
    for (PetscInt l = 0; l < k.listed; l++) {
      char one[96];
      PetscCall(PetscSNPrintf(one, sizeof one, "%s" CELL_FMT, l ? "; " : "", CELL_ARGS(k.list[l])));
      PetscCall(PetscStrlcat(cells, one, sizeof cells));
    }
    PetscCheck(k.anode_end || k.cathode_end, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: %" PetscInt_FMT " lithium cells touch neither end of the stack (floating lithium: %s%s); lithium must connect to the anode end "
               "(column 0) or the cathode end (column %" PetscInt_FMT "): join it or make it electrolyte or void",
               origin, k.cells, cells, k.cells > k.listed ? "; ..." : "", nx - 1);
    for (PetscInt l = 0; l < k.cells; l++)
      region[queue[l]] = k.anode_end ? REGION_ANODE : REGION_CATHODE;
    id++;
  }
  *cathode_phase = PHASE_VOID;
  for (PetscInt c = 0; c < n; c++) {
    const PetscInt p = map->phase[c];
    if (p == PHASE_ELECTROLYTE) region[c] = REGION_SEPARATOR, electrolyte++;
    if (p == PHASE_VOID) region[c] = REGION_VOID;
    if (Cathodic(p)) region[c] = REGION_CATHODE;
    if (region[c] != REGION_CATHODE) continue;
    PetscCheck(*cathode_phase == PHASE_VOID || *cathode_phase == (PhaseType)p, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: the cathode mixes %s (cell " CELL_FMT ") and %s (cell " CELL_FMT "); a cathode is one phase: use one label for it", origin,
               PhaseNames[*cathode_phase], CELL_ARGS(cathode_cell), PhaseNames[p], CELL_ARGS(c));
    if (cathode_cell < 0) cathode_cell = c;
    *cathode_phase = (PhaseType)p;
  }
  PetscCheck(electrolyte > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s has no electrolyte cells; a cell needs an electrolyte between its electrodes", origin);
#undef CELL_FMT
#undef CELL_ARGS
  PetscFunctionReturn(0);
}

PetscErrorCode PhaseMapRegions(const PhaseMap *map, PetscBool periodic, const char *origin, PetscInt *region, PhaseType *cathode_phase)
{
  PetscReal     *xc;
  PetscInt      *comp, *queue;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(ColumnCentres(map, &xc));
  PetscCall(PetscMalloc2(map->nx * map->ny, &comp, map->nx * map->ny, &queue));
  ierr = RegionsPrivate(map, periodic, origin, xc, comp, queue, region, cathode_phase);
  PetscCall(PetscFree2(comp, queue));
  PetscCall(PetscFree(xc));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
