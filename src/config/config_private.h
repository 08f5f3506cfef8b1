/* Private interfaces of the config layer (units.c, config.c, library.c):
 * the materials library records and the YAML helpers they share. */
#pragma once
#include "ionstack.h"
#include <yaml.h>

/* Example units of a dimension name, for messages ("18 um, 0.1 mm, 2e-5 m"). */
PetscErrorCode UnitsExamples(const char *dimension, const char **examples);

#define MATERIAL_MAX_PARAMS 40

/* One parameter of a material file: its value at the material's reference
 * temperature, the Arrhenius activation energy, and where it comes from. */
typedef struct {
  char      name[64];
  char      text[128];         /* as written in the file, with its units */
  PetscReal value;             /* SI; 0 for text parameters (ocp) */
  PetscReal activation_energy; /* J/mol; 0 when the file gives none */
  char      activation_energy_text[64];
  char      source[512];
} MaterialParam;

typedef struct {
  char          name[64];
  char          phase[32]; /* lithium | electrolyte | active */
  char          kind[32];  /* single_ion | binary, electrolytes only */
  char          description[1024];
  PetscReal     reference_temperature; /* K */
  char          file[PETSC_MAX_PATH_LEN];
  PetscInt      nparams;
  MaterialParam params[MATERIAL_MAX_PARAMS];
} MaterialRecord;

typedef struct {
  PetscInt        n, size;
  MaterialRecord *m;
  char            searched[2048]; /* the directories looked at, for messages */
} MaterialLibrary;

/* Loads the named extra files first (they win), then every *.yaml of the
 * library directories in search order; the first material of a name wins. */
PetscErrorCode LibraryOpen(PetscInt nextra, char **extra_files, MaterialLibrary *lib);
PetscErrorCode LibraryClose(MaterialLibrary *lib);
/* Finds a material of the given phase (NULL: any); an unknown name or a wrong
 * phase is an error naming `where` and listing the materials of that phase. */
PetscErrorCode       LibraryFind(const MaterialLibrary *lib, const char *name, const char *phase, const char *where, const MaterialRecord **rec);
const MaterialParam *MaterialGetParam(const MaterialRecord *rec, const char *name);
/* Dimension name of a material parameter ("text" for ocp); NULL if unknown. */
const char *MaterialParamDimension(const char *name);

/* YAML helpers. A node is looked up in the document by index. */
PetscErrorCode YamlLoadFile(const char *path, yaml_document_t *doc);
PetscErrorCode YamlLoadString(const char *text, const char *where, yaml_document_t *doc);
const char    *YamlScalar(yaml_node_t *n); /* NULL when the node is not a scalar */
