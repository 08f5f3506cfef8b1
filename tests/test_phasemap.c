/* Phase maps of 2D meshes, no grid: every generator's cell counts against
 * closed forms, the PGM and HDF5 readers (round trips, 16-bit, comments,
 * label maps, and each error with its message), the region rules on small
 * hand-made maps, and the example maps of meshes/, which must read, pass
 * the region rules and equal what their generators build today.
 *
 * `test_phasemap -write_examples DIR` writes those example maps into DIR
 * (how the files in meshes/ were made) and checks nothing else. */
#include <hdf5.h>
#include <string.h>
#include <unistd.h>
#include "mesh/phasemap.h"
#include "testing.h"

#define UM 1e-6

static void ExpectError(const char *name, PetscErrorCode ierr, const char *a, const char *b)
{
  const char *text = ierr ? ErrorText(ierr) : "";
  const int   ok   = ierr && (!a || strstr(text, a)) && (!b || strstr(text, b));
  check(ok, name, NULL, 0, 0);
  if (!ok) printf("  message: %s\n", ierr ? text : "(no error)");
}

/* Runs call with errors returned instead of printed, then checks them. */
#define EXPECT_ERROR(name, call, a, b)                                                                                                               \
  do {                                                                                                                                               \
    PetscErrorCode e_;                                                                                                                               \
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));                                                                                 \
    e_ = (call);                                                                                                                                     \
    PetscCall(PetscPopErrorHandler());                                                                                                               \
    ExpectError(name, e_, a, b);                                                                                                                     \
  } while (0)

static PetscInt Count(const PhaseMap *m, PetscInt phase)
{
  PetscInt n = 0;
  for (PetscInt c = 0; c < m->nx * m->ny; c++)
    n += m->phase[c] == phase;
  return n;
}

static PetscReal Area(const PhaseMap *m, PetscInt phase)
{
  PetscReal a = 0;
  for (PetscInt c = 0; c < m->nx * m->ny; c++)
    if (m->phase[c] == phase) a += m->hx[c % m->nx] * m->hy;
  return a;
}

static PetscBool SameMap(const PhaseMap *a, const PhaseMap *b)
{
  return (PetscBool)(a->nx == b->nx && a->ny == b->ny && !memcmp(a->phase, b->phase, sizeof(PetscInt) * a->nx * a->ny));
}

/* A stack of 10, 20 and 30 um layers on 1 um cells, 32 rows, periodic. */
static PhaseMapGenerator Stack(GeneratorKind kind)
{
  return (PhaseMapGenerator){.kind               = kind,
                             .lateral_size       = 32 * UM,
                             .lateral_cells      = 32,
                             .periodic           = PETSC_TRUE,
                             .thickness          = {10 * UM, 20 * UM, 30 * UM},
                             .cathode_phase      = PHASE_ACTIVE,
                             .amplitude          = 3 * UM,
                             .wavelength         = 16 * UM,
                             .rms                = 2 * UM,
                             .correlation_length = 4 * UM,
                             .seed               = 1,
                             .contact_fraction   = 0.5,
                             .void_depth         = 3 * UM,
                             .void_count         = 2,
                             .particle_fraction  = 0.4,
                             .particle_radius    = 3 * UM,
                             .radius_spread      = 1 * UM};
}

/* A map from rows of letters: L lithium, E electrolyte, A active, C composite, V void, K collector; 1 um cells. */
static PetscErrorCode MapFromRows(PetscInt ny, const char *const rows[], PhaseMap *m)
{
  const char *letters = "VLEACK";

  PetscFunctionBeginUser;
  PetscCall(PhaseMapCreate((PetscInt)strlen(rows[0]), ny, 1 * UM, m));
  for (PetscInt j = 0; j < ny; j++)
    for (PetscInt i = 0; i < m->nx; i++)
      m->phase[j * m->nx + i] = (PetscInt)(strchr(letters, rows[j][i]) - letters);
  PetscFunctionReturn(0);
}

/* The regions of a hand-made map, or its error. */
static PetscErrorCode Regions(PetscInt ny, const char *const rows[], PetscBool periodic, PetscInt *region, PhaseType *cathode, PetscErrorCode *ierr)
{
  PhaseMap m;

  PetscFunctionBeginUser;
  PetscCall(MapFromRows(ny, rows, &m));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = PhaseMapRegions(&m, periodic, "test map", region, cathode);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PhaseMapDestroy(&m));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestGenerators(void)
{
  PhaseMapGenerator g;
  PhaseMap          m, flat, other;
  PetscInt         *region;
  PhaseType         cathode;

  PetscFunctionBeginUser;
  /* flat: exact column counts and layer thicknesses */
  g = Stack(GENERATOR_FLAT);
  PetscCall(PhaseMapGenerate(&g, &flat));
  check(flat.nx == 60 && flat.ny == 32, "flat: 10 + 20 + 30 columns of 1 um, 32 rows", "nx %g, want %g", flat.nx, 60);
  check(Count(&flat, PHASE_LITHIUM) == 10 * 32 && Count(&flat, PHASE_ELECTROLYTE) == 20 * 32 && Count(&flat, PHASE_ACTIVE) == 30 * 32,
        "flat: cells per phase are columns times rows", "lithium %g, want %g", Count(&flat, PHASE_LITHIUM), 320);
  PetscCall(PetscMalloc1(flat.nx * flat.ny, &region));
  PetscCall(PhaseMapRegions(&flat, PETSC_TRUE, "flat", region, &cathode));
  check(cathode == PHASE_ACTIVE && region[0] == REGION_ANODE && region[15] == REGION_SEPARATOR && region[59] == REGION_CATHODE, "flat: regions", NULL,
        0, 0);
  PetscCall(PetscFree(region));
  g.thickness[0] = 10.4 * UM, g.thickness[2] = 0.3 * UM;
  PetscCall(PhaseMapGenerate(&g, &m));
  {
    PetscReal anode = 0, cathode_width = 0;
    for (PetscInt i = 0; i < 10; i++)
      anode += m.hx[i];
    cathode_width = m.hx[m.nx - 1];
    check(m.nx == 10 + 20 + 1 && PetscAbsReal(anode - 10.4 * UM) < 1e-15 && cathode_width == 0.3 * UM,
          "flat: a layer of 10.4 cells gets 10 columns of 1.04 um, one of 0.3 cells one column", "anode %g um, want %g um", anode / UM, 10.4);
  }
  PetscCall(PhaseMapDestroy(&m));

  /* sinusoidal: the lithium area is t_a W to within a cell per row, and each row's interface within a column */
  g = Stack(GENERATOR_SINUSOIDAL);
  PetscCall(PhaseMapGenerate(&g, &m));
  check_abs("sinusoidal: lithium area is t_anode W within one cell per row (um^2)", Area(&m, PHASE_LITHIUM) / (UM * UM), 10 * 32,
            32 * m.hy * m.hx[0] / (UM * UM));
  {
    PetscReal worst = 0;
    for (PetscInt j = 0; j < m.ny; j++) {
      PetscReal li = 0;
      for (PetscInt i = 0; i < m.nx; i++)
        if (m.phase[j * m.nx + i] == PHASE_LITHIUM) li += m.hx[i];
      worst = PetscMax(worst, PetscAbsReal(li - (10 * UM + g.amplitude * PetscSinReal(2 * PETSC_PI * (j + 0.5) * m.hy / g.wavelength))));
    }
    check_abs("sinusoidal: every row's lithium ends within half a column of t_a + A sin(2 pi y / lambda) (um)", worst / UM, 0, 0.5);
  }
  PetscCall(PetscMalloc1(m.nx * m.ny, &region));
  PetscCall(PhaseMapRegions(&m, PETSC_TRUE, "sinusoidal", region, &cathode));
  check(Count(&m, PHASE_LITHIUM) > 0 && cathode == PHASE_ACTIVE, "sinusoidal: passes the region rules", NULL, 0, 0);
  PetscCall(PetscFree(region));
  PetscCall(PhaseMapDestroy(&m));
  g.amplitude = 10 * UM;
  EXPECT_ERROR("sinusoidal: amplitude of the anode's thickness is refused naming mesh.amplitude", PhaseMapGenerate(&g, &m), "mesh.amplitude",
               "anode.thickness");
  g = Stack(GENERATOR_SINUSOIDAL), g.wavelength = 12 * UM;
  EXPECT_ERROR("sinusoidal: periodic, a wavelength that does not divide the lateral size is refused", PhaseMapGenerate(&g, &m), "mesh.wavelength",
               "mesh.lateral_size");
  g.periodic = PETSC_FALSE;
  PetscCall(PhaseMapGenerate(&g, &m));
  check(Count(&m, PHASE_LITHIUM) > 0, "sinusoidal: not periodic, any wavelength", NULL, 0, 0);
  PetscCall(PhaseMapDestroy(&m));
  g.wavelength = 0;
  EXPECT_ERROR("sinusoidal: wavelength 0 is refused", PhaseMapGenerate(&g, &m), "mesh.wavelength", "> 0");

  /* rough */
  g = Stack(GENERATOR_ROUGH), g.rms = 0;
  PetscCall(PhaseMapGenerate(&g, &m));
  check(SameMap(&m, &flat) && !memcmp(m.hx, flat.hx, sizeof(PetscReal) * m.nx), "rough: rms 0 is the flat map bit for bit", NULL, 0, 0);
  PetscCall(PhaseMapDestroy(&m));
  g = Stack(GENERATOR_ROUGH);
  PetscCall(PhaseMapGenerate(&g, &m));
  PetscCall(PhaseMapGenerate(&g, &other));
  check(SameMap(&m, &other), "rough: the same seed gives the same map", NULL, 0, 0);
  PetscCall(PhaseMapDestroy(&other));
  g.seed = 2;
  PetscCall(PhaseMapGenerate(&g, &other));
  check(!SameMap(&m, &other), "rough: another seed gives another map", NULL, 0, 0);
  PetscCall(PhaseMapDestroy(&other));
  PetscCall(PhaseMapDestroy(&m));
  {
    /* the height each row's cells realize, on a grid 4 times finer than the rms: rounding to columns moves it by at most half a column */
    PetscReal mean = 0, rms = 0;
    g = Stack(GENERATOR_ROUGH), g.lateral_size = 64 * UM, g.lateral_cells = 256;
    PetscCall(PhaseMapGenerate(&g, &m));
    for (PetscInt j = 0; j < m.ny; j++) {
      PetscReal li = 0;
      for (PetscInt i = 0; i < m.nx; i++)
        if (m.phase[j * m.nx + i] == PHASE_LITHIUM) li += m.hx[i];
      mean += (li - 10 * UM) / m.ny;
      rms += PetscSqr(li - 10 * UM) / m.ny;
    }
    rms = PetscSqrtReal(rms - mean * mean);
    check_abs("rough: the cells' interface height has the requested rms within half a cell (um)", rms / UM, 2, 0.5 * m.hy / UM);
    check_abs("rough: and zero mean within half a cell (um)", mean / UM, 0, 0.5 * m.hy / UM);
    PetscCall(PhaseMapDestroy(&m));
  }
  g = Stack(GENERATOR_ROUGH), g.rms = 5 * UM;
  EXPECT_ERROR("rough: an rms whose peaks leave the anode is refused naming mesh.rms", PhaseMapGenerate(&g, &m), "mesh.rms", "anode.thickness");
  g = Stack(GENERATOR_ROUGH), g.correlation_length = 0;
  EXPECT_ERROR("rough: correlation length 0 is refused", PhaseMapGenerate(&g, &m), "mesh.correlation_length", NULL);

  /* voids: the contact fraction counted in rows, the void cells in columns */
  g = Stack(GENERATOR_VOIDS);
  PetscCall(PhaseMapGenerate(&g, &m));
  {
    PetscInt contact = 0;
    for (PetscInt j = 0; j < m.ny; j++)
      contact += m.phase[j * m.nx + 9] == PHASE_LITHIUM;
    check(contact == 16 && Count(&m, PHASE_VOID) == 16 * 3, "voids: half of 32 rows in contact, 3 um deep voids in the other 16",
          "contact rows %g, want %g", contact, 16);
  }
  PetscCall(PetscMalloc1(m.nx * m.ny, &region));
  PetscCall(PhaseMapRegions(&m, PETSC_TRUE, "voids", region, &cathode));
  {
    PetscInt voids = 0;
    for (PetscInt c = 0; c < m.nx * m.ny; c++)
      voids += region[c] == REGION_VOID;
    check(voids == 48, "voids: the void cells are the void region", "%g cells, want %g", voids, 48);
  }
  PetscCall(PetscFree(region));
  PetscCall(PhaseMapDestroy(&m));
  for (PetscReal f = 0.2; f < 0.95; f += 0.1) {
    char     name[128];
    PetscInt contact = 0;
    g = Stack(GENERATOR_VOIDS), g.contact_fraction = f, g.lateral_cells = 64, g.lateral_size = 64 * UM;
    PetscCall(PhaseMapGenerate(&g, &m));
    for (PetscInt j = 0; j < m.ny; j++)
      contact += m.phase[j * m.nx + 9] == PHASE_LITHIUM;
    PetscCall(PetscSNPrintf(name, sizeof name, "voids: contact fraction %.1f realized to one row per void", (double)f));
    check_abs(name, contact / 64.0, f, 2.0 / 64);
    PetscCall(PhaseMapDestroy(&m));
  }
  g = Stack(GENERATOR_VOIDS), g.contact_fraction = 1;
  PetscCall(PhaseMapGenerate(&g, &m));
  check(SameMap(&m, &flat), "voids: contact fraction 1 is the flat map", NULL, 0, 0);
  PetscCall(PhaseMapDestroy(&m));
  g = Stack(GENERATOR_VOIDS), g.void_depth = 0.6 * UM;
  EXPECT_ERROR("voids: a void shallower than a cell is refused", PhaseMapGenerate(&g, &m), "mesh.void_depth", "resolve");
  g = Stack(GENERATOR_VOIDS), g.contact_fraction = 0.95;
  EXPECT_ERROR("voids: a void narrower than a cell is refused", PhaseMapGenerate(&g, &m), "mesh.contact_fraction", "resolve");
  g = Stack(GENERATOR_VOIDS), g.contact_fraction = 0;
  EXPECT_ERROR("voids: contact fraction 0 is refused", PhaseMapGenerate(&g, &m), "mesh.contact_fraction", "(0, 1]");
  g = Stack(GENERATOR_VOIDS), g.void_depth = 10 * UM;
  EXPECT_ERROR("voids: a void through the anode is refused", PhaseMapGenerate(&g, &m), "mesh.void_depth", "anode.thickness");

  /* particles: area fraction, no overlap, all inside, and the backing column */
  for (int periodic = 0; periodic < 2; periodic++) {
    const PetscReal x0 = 30 * UM, L = 60 * UM, W = 40 * UM, rmax = 4 * UM;
    PetscReal       area = 0, cells = 0, overlap = 0, outside = 0;
    PetscBool       backing = PETSC_TRUE;
    char            name[160];
    g = Stack(GENERATOR_PARTICLES), g.periodic = (PetscBool)periodic, g.lateral_size = W, g.lateral_cells = 80;
    PetscCall(PhaseMapGenerate(&g, &m));
    for (PetscInt k = 0; k < m.nparticles; k++) {
      const PetscReal *a = m.particles + 3 * k;
      area += PETSC_PI * a[2] * a[2];
      outside = PetscMax(outside, PetscMax(x0 - (a[0] - a[2]), (a[0] + a[2]) - L));
      if (!periodic) outside = PetscMax(outside, PetscMax(-(a[1] - a[2]), (a[1] + a[2]) - W));
      for (PetscInt l = 0; l < k; l++) {
        const PetscReal *b  = m.particles + 3 * l;
        PetscReal        dy = PetscAbsReal(a[1] - b[1]);
        if (periodic) dy = PetscMin(dy, W - dy);
        overlap = PetscMax(overlap, a[2] + b[2] - PetscSqrtReal(PetscSqr(a[0] - b[0]) + dy * dy));
      }
    }
    area /= 30 * UM * W;
    for (PetscInt j = 0; j < m.ny; j++) {
      for (PetscInt i = 60; i < m.nx - 1; i++)
        if (m.phase[j * m.nx + i] == PHASE_ACTIVE) cells += m.hx[i] * m.hy;
      backing = (PetscBool)(backing && m.phase[j * m.nx + m.nx - 1] == PHASE_ACTIVE);
    }
    cells /= (30 * UM - m.hx[m.nx - 1]) * W;
    PetscCall(PetscSNPrintf(name, sizeof name, "particles (%s): the circles cover the requested fraction, at most one particle more",
                            periodic ? "periodic" : "walls"));
    check(area >= g.particle_fraction && area <= g.particle_fraction + PETSC_PI * rmax * rmax / (30 * UM * W), name, "fraction %g, want %g", area,
          g.particle_fraction);
    PetscCall(
        PetscSNPrintf(name, sizeof name, "particles (%s): the cells the circles hold cover their area within 0.03", periodic ? "periodic" : "walls"));
    check_abs(name, cells, area, 0.03);
    PetscCall(PetscSNPrintf(name, sizeof name, "particles (%s): no two circles overlap (um)", periodic ? "periodic" : "walls"));
    check(overlap <= 1e-12, name, "overlap %g um, want <= %g", overlap / UM, 0);
    PetscCall(PetscSNPrintf(name, sizeof name, "particles (%s): every circle lies inside the cathode layer%s", periodic ? "periodic" : "walls",
                            periodic ? "" : " and the lateral walls"));
    check(outside <= 1e-12, name, "outside by %g um, want <= %g", outside / UM, 0);
    PetscCall(PetscSNPrintf(name, sizeof name, "particles (%s): the last column is an active backing", periodic ? "periodic" : "walls"));
    check(backing, name, NULL, 0, 0);
    PetscCall(PetscMalloc1(m.nx * m.ny, &region));
    PetscCall(PhaseMapRegions(&m, g.periodic, "particles", region, &cathode));
    PetscCall(PetscSNPrintf(name, sizeof name, "particles (%s): passes the region rules, cathode active", periodic ? "periodic" : "walls"));
    check(cathode == PHASE_ACTIVE, name, NULL, 0, 0);
    PetscCall(PetscFree(region));
    PetscCall(PhaseMapGenerate(&g, &other));
    PetscCall(PetscSNPrintf(name, sizeof name, "particles (%s): the same seed gives the same packing", periodic ? "periodic" : "walls"));
    check(SameMap(&m, &other) && other.nparticles == m.nparticles, name, NULL, 0, 0);
    PetscCall(PhaseMapDestroy(&other));
    PetscCall(PhaseMapDestroy(&m));
  }
  g = Stack(GENERATOR_PARTICLES), g.particle_fraction = 0.9;
  EXPECT_ERROR("particles: an area fraction random addition cannot reach is refused with the keys to change", PhaseMapGenerate(&g, &m),
               "mesh.particle_fraction", "mesh.particle_radius");
  g = Stack(GENERATOR_PARTICLES), g.particle_radius = 16 * UM;
  EXPECT_ERROR("particles: a radius that does not fit the cathode is refused", PhaseMapGenerate(&g, &m), "mesh.particle_radius", "cathode.thickness");
  g = Stack(GENERATOR_PARTICLES), g.particle_radius = 1 * UM, g.radius_spread = 0.5 * UM;
  EXPECT_ERROR("particles: a radius below one cell is refused", PhaseMapGenerate(&g, &m), "mesh.particle_radius", "resolve");
  g = Stack(GENERATOR_PARTICLES), g.radius_spread = 3 * UM;
  EXPECT_ERROR("particles: a spread as large as the radius is refused", PhaseMapGenerate(&g, &m), "mesh.radius_spread", NULL);

  /* inputs of every generator */
  g = Stack(GENERATOR_FLAT), g.lateral_size = 0;
  EXPECT_ERROR("generator: lateral size 0 is refused", PhaseMapGenerate(&g, &m), "mesh.lateral_size", NULL);
  g = Stack(GENERATOR_FLAT), g.lateral_cells = 0;
  EXPECT_ERROR("generator: no rows is refused", PhaseMapGenerate(&g, &m), "mesh.lateral_cells", NULL);
  g = Stack(GENERATOR_FLAT), g.thickness[1] = 0;
  EXPECT_ERROR("generator: a layer of thickness 0 is refused", PhaseMapGenerate(&g, &m), "separator.thickness", NULL);
  g = Stack(GENERATOR_FLAT), g.lateral_cells = 100000;
  EXPECT_ERROR("generator: more than 2^28 cells is refused before allocating", PhaseMapGenerate(&g, &m), "2^28", "mesh.lateral_cells");
  g = Stack(GENERATOR_FLAT), g.cathode_phase = PHASE_ELECTROLYTE;
  EXPECT_ERROR("generator: an electrolyte cathode is refused", PhaseMapGenerate(&g, &m), "cathode.model", NULL);
  g = Stack(GENERATOR_NONE);
  EXPECT_ERROR("generator: none is refused", PhaseMapGenerate(&g, &m), "mesh.generator", NULL);
  PetscCall(PhaseMapDestroy(&flat));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteBytes(const char *dir, const char *name, const void *bytes, size_t n, char *path)
{
  FILE *fp;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(path, PETSC_MAX_PATH_LEN, "%s/%s", dir, name));
  fp = fopen(path, "wb");
  PetscCheck(fp && fwrite(bytes, 1, n, fp) == n && !fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteH5(const char *path, const char *dataset, hid_t type, int rank, const hsize_t *dims, const void *data, PetscBool create)
{
  hid_t f, s, d, l;

  PetscFunctionBeginUser;
  f = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT) : H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  l = H5Pcreate(H5P_LINK_CREATE);
  PetscCheck(f >= 0 && l >= 0 && H5Pset_create_intermediate_group(l, 1) >= 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "cannot open %s", path);
  s = H5Screate_simple(rank, dims, NULL);
  d = H5Dcreate2(f, dataset, type, s, l, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(s >= 0 && d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "cannot write %s in %s",
             dataset, path);
  PetscCheck(H5Dclose(d) >= 0 && H5Sclose(s) >= 0 && H5Pclose(l) >= 0 && H5Fclose(f) >= 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "cannot close %s", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode TestFiles(const char *dir)
{
  PhaseMapGenerator g = Stack(GENERATOR_VOIDS);
  PhaseMap          m, back;
  PetscInt          labels[PHASE_MAP_LABELS];
  char              path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PhaseMapDefaultLabels(labels);
  PetscCall(PhaseMapGenerate(&g, &m));
  for (int binary = 0; binary < 2; binary++) {
    char name[64];
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/voids.pgm", dir));
    PetscCall(PhaseMapWritePGM(&m, path, (PetscBool)binary));
    PetscCall(PhaseMapRead(path, labels, 32 * UM, &back));
    PetscCall(PetscSNPrintf(name, sizeof name, "pgm: %s round trip gives the same labels and square 1 um cells", binary ? "P5" : "P2"));
    check(SameMap(&m, &back) && back.hy == 1 * UM && back.hx[17] == 1 * UM, name, NULL, 0, 0);
    PetscCall(PhaseMapDestroy(&back));
  }
  PetscCall(PhaseMapDestroy(&m));
  {
    /* 16 bits, big-endian, comments after every header field, label 7 mapped to electrolyte, 2 rows of 3 */
    static const unsigned char p5[] = "P5 # sixteen bits\n# a whole comment line\n3 # width\n2\n# maxval next\n1000\n"
                                      "\x00\x01\x00\x07\x00\x03"
                                      "\x00\x01\x00\x02\x00\x03";
    PetscInt                   remap[PHASE_MAP_LABELS];
    PhaseMapDefaultLabels(remap);
    remap[7] = PHASE_ELECTROLYTE;
    PetscCall(WriteBytes(dir, "wide.pgm", p5, sizeof p5 - 1, path));
    PetscCall(PhaseMapRead(path, remap, 2 * UM, &back));
    check(back.nx == 3 && back.ny == 2 && back.phase[0] == PHASE_LITHIUM && back.phase[1] == PHASE_ELECTROLYTE && back.phase[2] == PHASE_ACTIVE &&
              back.phase[4] == PHASE_ELECTROLYTE && back.hy == 1 * UM,
          "pgm: 16-bit P5 with comments, labels[7] = electrolyte", NULL, 0, 0);
    PetscCall(PhaseMapDestroy(&back));
    EXPECT_ERROR("pgm: an unmapped label is an error naming the file and the label", PhaseMapRead(path, labels, 2 * UM, &back), "wide.pgm",
                 "label 7");
  }
  {
    static const char p2[] = "P2\n# comment\n4 2 # trailing comment\n5\n1 2 2 3\n1 2 # between cells\n 2 3\n";
    WriteTestFile(dir, "text.pgm", p2, path);
    PetscCall(PhaseMapRead(path, NULL, 2 * UM, &back));
    check(back.nx == 4 && back.ny == 2 && back.phase[3] == PHASE_ACTIVE && back.phase[5] == PHASE_ELECTROLYTE,
          "pgm: P2 with comments in header and data", NULL, 0, 0);
    PetscCall(PhaseMapDestroy(&back));
  }
  {
    static const unsigned char big[] = "P5\n2 1\n1000\n\x01\x2c\x00\x01"; /* 300 */
    PetscCall(WriteBytes(dir, "big.pgm", big, sizeof big - 1, path));
    EXPECT_ERROR("pgm: a 16-bit label above 255 is an error naming it", PhaseMapRead(path, labels, 2 * UM, &back), "big.pgm", "label 300");
  }
  WriteTestFile(dir, "short.pgm", "P5\n4 2\n255\n\001\002\002", path);
  EXPECT_ERROR("pgm: a truncated P5 is an error naming the file", PhaseMapRead(path, labels, 2 * UM, &back), "short.pgm", "truncated");
  WriteTestFile(dir, "short2.pgm", "P2\n4 2\n5\n1 2 2 3 1", path);
  EXPECT_ERROR("pgm: a truncated P2 is an error naming the file", PhaseMapRead(path, labels, 2 * UM, &back), "short2.pgm", "truncated");
  WriteTestFile(dir, "header.pgm", "P2\n4", path);
  EXPECT_ERROR("pgm: a truncated header is an error", PhaseMapRead(path, labels, 2 * UM, &back), "header.pgm", "truncated");
  WriteTestFile(dir, "magic.pgm", "hello world\n", path);
  EXPECT_ERROR("pgm: bad magic is an error naming the file", PhaseMapRead(path, labels, 2 * UM, &back), "magic.pgm", "neither a PGM");
  WriteTestFile(dir, "colour.ppm", "P6\n1 1\n255\nabc", path);
  EXPECT_ERROR("pgm: a colour image is an error saying so", PhaseMapRead(path, labels, 2 * UM, &back), "colour.ppm", "P6");
  WriteTestFile(dir, "above.pgm", "P2\n2 1\n3\n1 4\n", path);
  EXPECT_ERROR("pgm: a value above the maximum grey is an error", PhaseMapRead(path, labels, 2 * UM, &back), "above.pgm", "maximum");
  EXPECT_ERROR("pgm: a missing file is an error naming it", PhaseMapRead("/nonexistent/map.pgm", labels, 2 * UM, &back), "/nonexistent/map.pgm",
               "cannot open");
  EXPECT_ERROR("read: lateral size 0 is refused", PhaseMapRead(path, labels, 0, &back), "mesh.lateral_size", NULL);

  /* HDF5 */
  {
    const int     map[2][3]   = {{1, 2, 3}, {1, 2, 3}};
    const short   other[1][4] = {{1, 2, 2, 4}};
    const double  real[2][2]  = {{1, 2}, {1, 3}};
    const int     flat[3]     = {1, 2, 3};
    const hsize_t d23[2] = {2, 3}, d14[2] = {1, 4}, d22[2] = {2, 2}, d3[1] = {3};
    char          spec[PETSC_MAX_PATH_LEN + 32];
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/map.h5", dir));
    PetscCall(WriteH5(path, "/phase_map", H5T_NATIVE_INT, 2, d23, map, PETSC_TRUE));
    PetscCall(WriteH5(path, "/maps/other", H5T_NATIVE_SHORT, 2, d14, other, PETSC_FALSE));
    PetscCall(WriteH5(path, "/real", H5T_NATIVE_DOUBLE, 2, d22, real, PETSC_FALSE));
    PetscCall(WriteH5(path, "/line", H5T_NATIVE_INT, 1, d3, flat, PETSC_FALSE));
    PetscCall(PhaseMapRead(path, labels, 4 * UM, &back));
    check(back.nx == 3 && back.ny == 2 && back.phase[2] == PHASE_ACTIVE && back.phase[3] == PHASE_LITHIUM && back.hy == 2 * UM,
          "hdf5: /phase_map read as 2 rows of 3 columns", NULL, 0, 0);
    PetscCall(PhaseMapDestroy(&back));
    PetscCall(PetscSNPrintf(spec, sizeof spec, "%s:/maps/other", path));
    PetscCall(PhaseMapRead(spec, labels, 4 * UM, &back));
    check(back.nx == 4 && back.ny == 1 && back.phase[3] == PHASE_COMPOSITE, "hdf5: FILE.h5:/maps/other reads that 16-bit dataset", NULL, 0, 0);
    PetscCall(PhaseMapDestroy(&back));
    PetscCall(PetscSNPrintf(spec, sizeof spec, "%s:/nope", path));
    EXPECT_ERROR("hdf5: a missing dataset is an error naming file and dataset", PhaseMapRead(spec, labels, 4 * UM, &back), "map.h5",
                 "no dataset /nope");
    PetscCall(PetscSNPrintf(spec, sizeof spec, "%s:/real", path));
    EXPECT_ERROR("hdf5: a floating-point dataset is an error", PhaseMapRead(spec, labels, 4 * UM, &back), "/real", "not integers");
    PetscCall(PetscSNPrintf(spec, sizeof spec, "%s:/line", path));
    EXPECT_ERROR("hdf5: a 1D dataset is an error", PhaseMapRead(spec, labels, 4 * UM, &back), "/line", "dimensions");
    labels[3] = -1;
    EXPECT_ERROR("hdf5: an unmapped label is an error naming file and label", PhaseMapRead(path, labels, 4 * UM, &back), "map.h5", "label 3");
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode TestRegions(void)
{
  PetscInt       region[64];
  PhaseType      cathode;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  {
    const char *const rows[] = {"LEEVAA", "LLEEAA"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    check(!ierr && cathode == PHASE_ACTIVE && region[0] == REGION_ANODE && region[7] == REGION_ANODE && region[1] == REGION_SEPARATOR &&
              region[3] == REGION_VOID && region[4] == REGION_CATHODE && region[11] == REGION_CATHODE && region[9] == REGION_SEPARATOR,
          "regions: anode, separator, void and cathode cells", NULL, 0, 0);
  }
  {
    const char *const rows[] = {"LEEEL", "LLEEL", "LEELL"};
    PetscCall(Regions(3, rows, PETSC_FALSE, region, &cathode, &ierr));
    check(!ierr && cathode == PHASE_LITHIUM && region[6] == REGION_ANODE && region[4] == REGION_CATHODE && region[13] == REGION_CATHODE,
          "regions: a symmetric cell's far lithium is a lithium cathode", NULL, 0, 0);
  }
  {
    const char *const rows[] = {"LEEEA", "LELEA", "LEEEA"};
    PetscCall(Regions(3, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: floating lithium is an error naming the cell", ierr, "floating", "(2, 1) at x = 2.5 um, y = 1.5 um");
  }
  {
    const char *const rows[] = {"LEELA", "LEEEA"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: lithium touching active is a short circuit naming the pair", ierr, "(3, 0)", "(4, 0)");
  }
  {
    const char *const rows[] = {"LEEEC", "LEEEC", "LEEVC", "LEELC"};
    PetscCall(Regions(4, rows, PETSC_TRUE, region, &cathode, &ierr));
    ExpectError("regions: lithium touching composite through the periodic wrap is a short circuit", ierr, "short-circuited", "composite");
  }
  {
    const char *const rows[] = {"LLLLL", "LEEEL"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: lithium spanning both ends is a short circuit", ierr, "connects the anode end to the cathode end", NULL);
  }
  {
    const char *const rows[] = {"LEEA", "EEEA"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: an anode end that is not lithium is an error naming the row", ierr, "anode end", "row 1 there is electrolyte");
  }
  {
    const char *const rows[] = {"LEEA", "LEEE"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: a cathode end that does not conduct electrons is an error", ierr, "cathode end (column 3)", "row 1 there is electrolyte");
  }
  {
    const char *const rows[] = {"LLLEA", "LVVEA", "LVVEA", "LVLEA"};
    PetscCall(Regions(4, rows, PETSC_TRUE, region, &cathode, &ierr));
    check(!ierr && region[3 * 5 + 2] == REGION_ANODE, "regions: periodic, lithium joined to the anode through the y wrap is anode", NULL, 0, 0);
    PetscCall(Regions(4, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: not periodic, the same lithium is floating", ierr, "floating", "(2, 3)");
  }
  {
    const char *const rows[] = {"LEEA", "LEEC"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: a cathode of active and composite is an error", ierr, "mixes active", "composite");
  }
  {
    const char *const rows[] = {"LEEA", "LEEL"};
    PetscCall(Regions(2, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: lithium and active at the cathode end are a short circuit", ierr, "short-circuited", "(3, 0)");
  }
  {
    const char *const rows[] = {"LEEK"};
    PetscCall(Regions(1, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: collector cells are refused for now", ierr, "collector", "not available");
  }
  {
    const char *const rows[] = {"LVVA"};
    PetscCall(Regions(1, rows, PETSC_FALSE, region, &cathode, &ierr));
    ExpectError("regions: a map without electrolyte is an error", ierr, "no electrolyte", NULL);
  }
  PetscFunctionReturn(0);
}

/* ---- the example maps of meshes/ ---- */

typedef struct {
  const char       *file;
  PetscBool         binary; /* PGM: P5 */
  PhaseMapGenerator g;
} Example;

static const Example examples[] = {
    {"void_contact.pgm",
     PETSC_FALSE,
     {.kind             = GENERATOR_VOIDS,
      .lateral_size     = 16 * UM,
      .lateral_cells    = 16,
      .periodic         = PETSC_TRUE,
      .thickness        = {12 * UM, 24 * UM, 12 * UM},
      .cathode_phase    = PHASE_LITHIUM,
      .contact_fraction = 0.5,
      .void_depth       = 3 * UM,
      .void_count       = 2}},
    {"rough_interface.pgm",
     PETSC_TRUE,
     {.kind               = GENERATOR_ROUGH,
      .lateral_size       = 64 * UM,
      .lateral_cells      = 64,
      .periodic           = PETSC_TRUE,
      .thickness          = {16 * UM, 32 * UM, 16 * UM},
      .cathode_phase      = PHASE_ACTIVE,
      .rms                = 2 * UM,
      .correlation_length = 8 * UM,
      .seed               = 7}},
    {"particles.pgm",
     PETSC_TRUE,
     {.kind              = GENERATOR_PARTICLES,
      .lateral_size      = 40 * UM,
      .lateral_cells     = 80,
      .periodic          = PETSC_TRUE,
      .thickness         = {5 * UM, 10 * UM, 30 * UM},
      .cathode_phase     = PHASE_ACTIVE,
      .seed              = 3,
      .particle_fraction = 0.45,
      .particle_radius   = 3 * UM,
      .radius_spread     = 1 * UM}},
    {"symmetric_flat.h5",
     PETSC_FALSE,
     {.kind          = GENERATOR_FLAT,
      .lateral_size  = 10 * UM,
      .lateral_cells = 10,
      .periodic      = PETSC_TRUE,
      .thickness     = {10 * UM, 20 * UM, 10 * UM},
      .cathode_phase = PHASE_LITHIUM}},
};

static PetscErrorCode WriteExample(const Example *e, const PhaseMap *m, const char *path)
{
  PetscFunctionBeginUser;
  if (strstr(e->file, ".h5")) {
    const hsize_t  dims[2] = {(hsize_t)m->ny, (hsize_t)m->nx};
    unsigned char *v;
    PetscCall(PetscMalloc1(m->nx * m->ny, &v));
    for (PetscInt c = 0; c < m->nx * m->ny; c++)
      v[c] = (unsigned char)m->phase[c];
    PetscCall(WriteH5(path, "/phase_map", H5T_NATIVE_UCHAR, 2, dims, v, PETSC_TRUE));
    PetscCall(PetscFree(v));
  } else
    PetscCall(PhaseMapWritePGM(m, path, e->binary));
  PetscFunctionReturn(0);
}

static PetscErrorCode Examples(const char *write_dir)
{
  PetscFunctionBeginUser;
  for (size_t k = 0; k < sizeof examples / sizeof examples[0]; k++) {
    const Example *e = &examples[k];
    PhaseMap       m, file;
    PetscInt      *region;
    PhaseType      cathode;
    char           path[PETSC_MAX_PATH_LEN], name[256];
    PetscErrorCode ierr;

    PetscCall(PhaseMapGenerate(&e->g, &m));
    if (write_dir) {
      PetscCall(PetscSNPrintf(path, sizeof path, "%s/%s", write_dir, e->file));
      PetscCall(WriteExample(e, &m, path));
      printf("wrote %s (%" PetscInt_FMT " x %" PetscInt_FMT ")\n", path, m.nx, m.ny);
      PetscCall(PhaseMapDestroy(&m));
      continue;
    }
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/meshes/%s", IONSTACK_SOURCE_DIR, e->file));
    PetscCall(PetscSNPrintf(name, sizeof name, "meshes/%s reads", e->file));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = PhaseMapRead(path, NULL, e->g.lateral_size, &file);
    PetscCall(PetscPopErrorHandler());
    if (!check(!ierr, name, NULL, 0, 0)) {
      printf("  message: %s\n", ErrorText(ierr));
      PetscCall(PhaseMapDestroy(&m));
      continue;
    }
    PetscCall(PetscSNPrintf(name, sizeof name, "meshes/%s passes the region rules and equals its generator's map", e->file));
    PetscCall(PetscMalloc1(file.nx * file.ny, &region));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = PhaseMapRegions(&file, e->g.periodic, e->file, region, &cathode);
    PetscCall(PetscPopErrorHandler());
    check(!ierr && cathode == e->g.cathode_phase && SameMap(&file, &m), name, NULL, 0, 0);
    if (ierr) printf("  message: %s\n", ErrorText(ierr));
    PetscCall(PetscFree(region));
    PetscCall(PhaseMapDestroy(&file));
    PetscCall(PhaseMapDestroy(&m));
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char      dir[PETSC_MAX_PATH_LEN] = "/tmp/ionstack_phasemap_XXXXXX", write_dir[PETSC_MAX_PATH_LEN];
  PetscBool write;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-write_examples", write_dir, sizeof write_dir, &write));
  if (write) {
    PetscCall(Examples(write_dir));
    PetscCall(PetscFinalize());
    return 0;
  }
  PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create a temporary directory");
  PetscCall(TestGenerators());
  PetscCall(TestFiles(dir));
  PetscCall(TestRegions());
  PetscCall(Examples(NULL));
  {
    char cmd[PETSC_MAX_PATH_LEN + 16];
    PetscCall(PetscSNPrintf(cmd, sizeof cmd, "rm -rf %s", dir));
    if (system(cmd)) printf("could not remove %s\n", dir);
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
