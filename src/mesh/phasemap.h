/* Phase maps of 2D meshes (SPEC 4.3): the phase of every cell of a 2D grid,
 * read from a PGM or HDF5 file or built by a generator, and the regions its
 * cells belong to. No DM, no Vec: the mesh builds its grid from a PhaseMap.
 * docs/phasemaps.md describes the files, the generators and the rules. */
#pragma once
#include "ionstack.h"

#define REGION_VOID (MAX_REGIONS - 1) /* the region of void cells: no unknowns, beyond the config's regions */
#define PHASE_MAP_MAX_CELLS 268435456    /* 2^28: larger maps are refused before anything is allocated */

/* GeneratorKind, PhaseMapGenerator and PHASE_MAP_LABELS are in ionstack.h: Params holds a generator. */

/* Phase labels of a 2D grid: nx columns along the stack (x), ny rows laterally (y). */
typedef struct {
  PetscInt   nx, ny;
  PetscReal *hx;    /* nx column widths, m */
  PetscReal  hy;    /* row height, m */
  PetscInt  *phase; /* nx*ny PhaseType values, x fastest: cell (i, j) is phase[j*nx + i] */
  PetscInt   nparticles;
  PetscReal *particles; /* the particles generator's circles, (x, y, r) in m each; NULL otherwise */
} PhaseMap;

/* The default labels: 0..PHASE_COUNT-1 are the PhaseType of the same number, the others are not mapped (-1). */
void PhaseMapDefaultLabels(PetscInt labels[PHASE_MAP_LABELS]);
/* An nx by ny map of square cells of side h, every cell PHASE_VOID. */
PetscErrorCode PhaseMapCreate(PetscInt nx, PetscInt ny, PetscReal h, PhaseMap *map);

/* Reads a PGM (P2 or P5, 8- or 16-bit) or an HDF5 integer dataset ("FILE.h5" reads the dataset
 * /phase_map, "FILE.h5:/path" another) and maps each label through labels[] (a PhaseType, or -1 for
 * a label that is not mapped: an error naming the file, the label and one cell holding it). Columns
 * run along x (column 0 at the anode end), rows along y (the file's first row is y index 0); cells are
 * square, of side lateral_size / rows. Errors name the file. labels NULL: the default labels. */
PetscErrorCode PhaseMapRead(const char *path, const PetscInt labels[PHASE_MAP_LABELS], PetscReal lateral_size, PhaseMap *map);
/* Builds the map a generator describes; refuses (naming the mesh.* key) parameters it cannot build. */
PetscErrorCode PhaseMapGenerate(const PhaseMapGenerator *g, PhaseMap *map);
/* The region of every cell (REGION_ANODE, REGION_SEPARATOR, REGION_CATHODE, REGION_VOID) by the
 * rules of docs/phasemaps.md; *cathode_phase is the phase of the cathode region's cells (PHASE_VOID if none).
 * origin names the map in messages (a file name, or "mesh.generator = voids"). */
PetscErrorCode PhaseMapRegions(const PhaseMap *map, PetscBool periodic, const char *origin, PetscInt *region, PhaseType *cathode_phase);
/* Writes a map as a P2 or P5 PGM with the default labels (for examples and tests). */
PetscErrorCode PhaseMapWritePGM(const PhaseMap *map, const char *path, PetscBool binary);
PetscErrorCode PhaseMapDestroy(PhaseMap *map);
