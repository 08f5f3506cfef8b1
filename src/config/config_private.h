/* Private interfaces of the config layer (units.c, config.c, library.c):
 * the materials library records and the YAML helpers they share. */
#pragma once
#include "ionstack.h"
#include <yaml.h>

/* Example units of a dimension name, for messages ("18 um, 0.1 mm, 2e-5 m"). */
PetscErrorCode UnitsExamples(const char *dimension, const char **examples);
/* UnitsParse, with infinity ("inf", ".inf") allowed or refused. UnitsParse
 * refuses it: only keys whose meaning has an unlimited value (solver.dt_max,
 * mesh.memory_limit) accept it. NaN and numbers beyond the range of a double
 * are always refused. */
PetscErrorCode UnitsParseQuantity(const char *text, const char *dimension, const char *key, PetscBool allow_infinity, PetscReal *si);

/* Appends t to the string in s[n], as much as fits. PETSc 3.18's PetscStrlcat
 * bounds the copy by n minus the length of t instead of the length of s, so
 * it cuts long words short. */
static inline PetscErrorCode StrAppend(char s[], const char t[], size_t n)
{
  size_t len = strlen(s), add = strlen(t);
  if (len + 1 >= n) return 0;
  if (add > n - len - 1) add = n - len - 1;
  memcpy(s + len, t, add);
  s[len + add] = 0;
  return 0;
}

/* ---- the schema (config.c): one table of every config key ---- */

typedef enum {
  KT_QUANTITY, /* a number with units of `dimension` */
  KT_INT,
  KT_BOOL,
  KT_TEXT,   /* a name, a file or a choice */
  KT_LIST,   /* a YAML sequence (protocol, materials) */
  KT_PROFILE /* a quantity, or a linear profile {separator_side: a, collector_side: b} */
} KeyType;

enum {
  F_MAT       = 1,  /* the material may supply the value */
  F_ARR       = 2,  /* also takes <key>_activation_energy */
  F_ACTIVE    = 4,  /* cathode: only with an active material (models active and composite) */
  F_LITHIUM   = 8,  /* cathode: only with model lithium (unused so far) */
  F_INF       = 16, /* infinity is a meaningful value ("no limit") */
  F_COMPOSITE = 32  /* cathode: only with model composite */
};

typedef struct {
  const char *section, *key;
  KeyType     type;
  const char *dimension;
  const char *def; /* default in user units; NULL: from the material, or see the doc line */
  int         flags;
  const char *doc;
} SchemaKey;

/* The schema entry of section.key (also <key>_activation_energy), or NULL. */
const SchemaKey *ConfigFindKey(const char *section, const char *key);
/* Whether text is a C-rate (1C, 0.5C, C/3) and its value in 1/h. */
PetscBool ConfigCRate(const char *text, PetscReal *rate);
extern const SchemaKey   ConfigSchema[];
extern const size_t      ConfigSchemaSize;
extern const char *const ConfigSections[];
extern const size_t      ConfigSectionCount;
/* "thickness, cells, ..." of a section, for messages. */
PetscErrorCode ConfigAllowedKeys(const char *section, char *buf, size_t len);

/* ---- limits of the input (docs/config.md, "Limits") ---- */

#define INPUT_FILE_MAX_BYTES (1 << 20) /* a config, material file or OCP table */
#define PROTOCOL_MAX_DEPTH 16          /* nesting of protocol lists and repeat groups */
#define PROTOCOL_MAX_ITEMS 4096        /* list items visited, after aliases and repeats */
#define MESH_MAX_CELLS 100000000       /* all layers together: unknowns and Jacobian entries fit a 32-bit PetscInt */

/* Reads a whole input file into memory (NUL-terminated, *len bytes), refusing
 * anything that is not a regular file and anything larger than max_bytes.
 * Errors name the path and the reason. */
PetscErrorCode ReadInputFile(const char *path, size_t max_bytes, char **text, size_t *len);

/* The command-line option functions of options.c are declared in
 * ionstack.h: the driver calls them. */

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
  char          phase[32]; /* lithium | electrolyte | active | collector | additive */
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
PetscErrorCode LibraryFind(const MaterialLibrary *lib, const char *name, const char *phase, const char *where, const MaterialRecord **rec);
/* A material parameter at temperature T by its own law (Arrhenius, VFT,
 * linear resistivity; config_law: the config gave an activation energy,
 * which replaces the law), and the check that T lies in the range its
 * source covers: outside it a warning on rank 0 of comm, at a VFT T0 or
 * where the law gives no value an error. */
PetscReal MaterialLawValue(const MaterialRecord *m, const char *key, PetscBool config_law, PetscReal ref, PetscReal Ea, PetscReal T_ref, PetscReal T);
PetscErrorCode MaterialRangeCheck(MPI_Comm comm, const MaterialRecord *m, const char *section, const char *key, PetscBool config_law, PetscReal T);
PetscErrorCode MaterialRangeMessage(const MaterialRecord *m, const char *section, const char *key, PetscReal T, char *msg, size_t len,
                                    PetscBool *outside);
const MaterialParam *MaterialGetParam(const MaterialRecord *rec, const char *name);
/* Dimension name of a material parameter ("text" for ocp); NULL if unknown. */
const char *MaterialParamDimension(const char *name);

/* YAML helpers. A node is looked up in the document by index. A file or
 * string holds exactly one document; a second one is an error. */
PetscErrorCode YamlLoadFile(const char *path, yaml_document_t *doc);
PetscErrorCode YamlLoadString(const char *text, const char *where, yaml_document_t *doc);
const char    *YamlScalar(yaml_node_t *n); /* NULL when the node is not a scalar */
