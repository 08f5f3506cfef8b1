/* The run description: reads a YAML config into a flat list of section.key
 * strings, applies command-line overrides, checks every key against one
 * schema table, resolves materials (library values at the run temperature
 * through the Arrhenius law, config values replacing reference values) and
 * fills Params in SI. Every user error stops here, naming the file and the key
 * and saying what is allowed. Input is bounded, because configs arrive from
 * scripts and other people: files by size and type, protocols by depth,
 * length and repeat count (aliases included), integers by their type, numbers
 * by being finite (config_private.h, "limits"). A refused config frees what
 * it built. It writes nothing to disk and solves nothing; the printed summary
 * (ParamsView) is for `ionstack check`. */
#include "config_private.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- schema */

#define LITHIUM_KEYS(S, THICK, CELLS, GRAD, MAT, CDEP, AFLAG)                                                                                          \
  {S, "material", KT_TEXT, NULL, MAT, 0, "material name from the library"}, {S, "thickness", KT_QUANTITY, "length", THICK, 0, "layer thickness"},      \
      {S, "cells", KT_INT, NULL, CELLS, 0, "number of mesh cells across the layer"},                                                                   \
      {S, "grading", KT_QUANTITY, "dimensionless", GRAD, 0, "ratio of the largest to the smallest cell (>= 1); >1 refines toward the separator"},      \
      {S, "exchange_current_density", KT_QUANTITY, "current_density", NULL, F_MAT | F_ARR, "Butler-Volmer i0 of the electrode | separator interface"}, \
      {S, "alpha_a", KT_QUANTITY, "dimensionless", "0.5", F_MAT, "anodic transfer coefficient"},                                                       \
      {S, "alpha_c", KT_QUANTITY, "dimensionless", "0.5", F_MAT, "cathodic transfer coefficient"},                                                     \
      {S, "film_resistance", KT_QUANTITY, "areal_resistance", "0", 0, "interface film / contact resistance"},                                          \
      {S, "concentration_dependent", KT_BOOL, NULL, CDEP, 0, "i0 follows the local concentrations"},                                                   \
      {S, "conductivity", KT_QUANTITY, "conductivity", NULL, F_MAT | F_ARR, "electronic conductivity"},                                                \
      {S, "density", KT_QUANTITY, "density", NULL, F_MAT, "mass density"},                                                                             \
  {                                                                                                                                                    \
    S, "reference_temperature", KT_QUANTITY, "temperature", NULL, 0, "temperature at which the layer's parameter values hold"                          \
  }

const SchemaKey ConfigSchema[] = {
    {"cell", "temperature", KT_QUANTITY, "temperature", "25 degC", 0, "uniform cell temperature"},
    {"cell", "area", KT_QUANTITY, "area", "1 cm^2", 0, "electrode area, for currents in A and capacities in Ah"},
    {"mesh", "dim", KT_INT, NULL, "1", 0, "mesh dimension: 1 (layers along x) or 2 (a phase map or a generator)"},
    {"mesh", "lateral_size", KT_QUANTITY, "length", NULL, 0, "2D: lateral (y) extent of the stack"},
    {"mesh", "lateral_cells", KT_INT, NULL, NULL, 0, "2D generator: cells across lateral_size (a map file: its rows)"},
    {"mesh", "lateral_boundary", KT_TEXT, NULL, "zero_flux", 0, "2D: zero_flux | periodic"},
    {"mesh", "phase_map", KT_TEXT, NULL, NULL, 0, "2D: phase-map file, PGM (P2/P5) or HDF5 (FILE.h5[:/dataset]), relative to the config"},
    {"mesh", "labels", KT_TEXT, NULL, NULL, 0, "2D map file: phases of its labels, e.g. {0: void, 7: electrolyte}"},
    {"mesh", "generator", KT_TEXT, NULL, NULL, 0, "2D: flat | sinusoidal | rough | voids | particles"},
    {"mesh", "amplitude", KT_QUANTITY, "length", "0 m", 0, "sinusoidal: amplitude of the Li | SE interface"},
    {"mesh", "wavelength", KT_QUANTITY, "length", NULL, 0, "sinusoidal: wavelength of the Li | SE interface (default lateral_size)"},
    {"mesh", "rms", KT_QUANTITY, "length", "0 m", 0, "rough: rms height of the Li | SE interface"},
    {"mesh", "correlation_length", KT_QUANTITY, "length", NULL, 0, "rough: correlation length of its height (default lateral_size/8)"},
    {"mesh", "seed", KT_INT, NULL, "1", 0, "rough, particles: seed of the random numbers"},
    {"mesh", "contact_fraction", KT_QUANTITY, "dimensionless", "0.5", 0, "voids: share of the Li | SE interface in contact"},
    {"mesh", "void_depth", KT_QUANTITY, "length", NULL, 0, "voids: depth of each void into the lithium (default a quarter of the anode)"},
    {"mesh", "void_count", KT_INT, NULL, "1", 0, "voids: number of voids across lateral_size"},
    {"mesh", "particle_fraction", KT_QUANTITY, "dimensionless", "0.5", 0, "particles: area fraction of particles in the cathode layer"},
    {"mesh", "particle_radius", KT_QUANTITY, "length", "2 um", 0, "particles: mean particle radius"},
    {"mesh", "radius_spread", KT_QUANTITY, "length", "0 m", 0, "particles: radii are uniform in [radius - spread, radius + spread]"},
    {"mesh", "memory_limit", KT_QUANTITY, "memory", "4 GiB", F_INF, "most memory a mesh may need; a larger mesh is refused before allocating"},
    LITHIUM_KEYS("anode", "20 um", "10", "1", "lithium", "false", 0),
    {"separator", "material", KT_TEXT, NULL, "Li6PS5Cl", 0, "electrolyte material from the library, or custom"},
    {"separator", "kind", KT_TEXT, NULL, NULL, 0, "single_ion | binary; required for custom, else from the material"},
    {"separator", "thickness", KT_QUANTITY, "length", "18 um", 0, "membrane thickness"},
    {"separator", "cells", KT_INT, NULL, "20", 0, "number of mesh cells across the membrane"},
    {"separator", "grading", KT_QUANTITY, "dimensionless", "1", 0,
     "ratio of the largest to the smallest cell (>= 1); >1 refines toward both interfaces"},
    {"separator", "conductivity", KT_QUANTITY, "conductivity", NULL, F_MAT | F_ARR, "ionic conductivity at the reference concentration"},
    {"separator", "conductivity_exponent", KT_QUANTITY, "dimensionless", NULL, F_MAT, "n in kappa = kappa_ref (c/c_ref)^n (binary; default 0)"},
    {"separator", "diffusivity", KT_QUANTITY, "diffusivity", NULL, F_MAT | F_ARR, "salt diffusivity (binary)"},
    {"separator", "transference_number", KT_QUANTITY, "dimensionless", NULL, F_MAT, "cation transference number t+ (binary; 1 for single-ion)"},
    {"separator", "thermodynamic_factor", KT_QUANTITY, "dimensionless", NULL, F_MAT, "chi = 1 + dln f/dln c (binary; default 1)"},
    {"separator", "concentration", KT_QUANTITY, "concentration", NULL, F_MAT, "salt (binary) or Li+ (single-ion) concentration"},
    {"separator", "density", KT_QUANTITY, "density", NULL, F_MAT, "mass density (0 = unknown)"},
    {"separator", "cation_diffusivity", KT_QUANTITY, "diffusivity", NULL, F_MAT | F_ARR, "D+ of the dilute Nernst-Planck form (binary)"},
    {"separator", "anion_diffusivity", KT_QUANTITY, "diffusivity", NULL, F_MAT | F_ARR, "D- of the dilute Nernst-Planck form (binary)"},
    {"separator", "reference_temperature", KT_QUANTITY, "temperature", NULL, 0, "temperature at which the membrane's parameter values hold"},
    {"separator", "filler", KT_TEXT, NULL, NULL, 0, "ceramic filler of a composite membrane: a single-ion electrolyte from the library"},
    {"separator", "filler_fraction", KT_QUANTITY, "dimensionless", "0", 0, "volume fraction of the filler, in [0, 1)"},
    {"separator", "effective_medium", KT_TEXT, NULL, "maxwell_garnett", 0, "maxwell_garnett | bruggeman: the composite membrane's conductivity"},
    {"cathode", "model", KT_TEXT, NULL, "active", 0,
     "composite (porous: particles, electrolyte, carbon) | active (thin-film active layer) | lithium (symmetric Li | SE | Li cell)"},
    {"cathode", "active_fraction", KT_PROFILE, "dimensionless", "0.6", F_COMPOSITE, "volume fraction of active particles (or a profile)"},
    {"cathode", "electrolyte_fraction", KT_PROFILE, "dimensionless", "0.35", F_COMPOSITE, "volume fraction of electrolyte (or a profile)"},
    {"cathode", "carbon_fraction", KT_PROFILE, "dimensionless", "0.05", F_COMPOSITE, "volume fraction of carbon and binder (or a profile)"},
    {"cathode", "particle_radius", KT_PROFILE, "length", "5 um", F_COMPOSITE, "active particle radius r_p (or a profile)"},
    {"cathode", "bruggeman", KT_QUANTITY, "dimensionless", "1.5", F_COMPOSITE, "exponent b of p_eff = p eps^b"},
    {"cathode", "tortuosity", KT_QUANTITY, "dimensionless", NULL, F_COMPOSITE, "tortuosity tau: p_eff = p eps / tau instead of the Bruggeman law"},
    {"cathode", "shells", KT_INT, NULL, "10", F_COMPOSITE, "radial finite volumes per particle (>= 2)"},
    {"cathode", "shell_grading", KT_QUANTITY, "dimensionless", "1", F_COMPOSITE,
     "ratio of the innermost to the outermost shell width (>= 1; >1 refines toward the surface)"},
    {"cathode", "contact_fraction", KT_QUANTITY, "dimensionless", "1", F_COMPOSITE, "share of the particle surface in contact with electrolyte"},
    {"cathode", "electrolyte", KT_TEXT, NULL, NULL, F_COMPOSITE,
     "electrolyte in the pores: a library material (default: the separator's, with its overrides)"},
    {"cathode", "carbon_conductivity", KT_QUANTITY, "conductivity", "10 S/m", F_COMPOSITE, "electronic conductivity of the carbon/binder phase"},
    {"cathode", "carbon_density", KT_QUANTITY, "density", "1.9 g/cm^3", F_COMPOSITE, "mass density of the carbon/binder phase"},
    LITHIUM_KEYS("cathode", NULL, NULL, "100", NULL, NULL, 0),
    {"cathode", "initial_stoichiometry", KT_QUANTITY, "dimensionless", NULL, F_MAT | F_ACTIVE, "initial theta = c_s/c_s,max"},
    {"cathode", "stoichiometry_min", KT_QUANTITY, "dimensionless", NULL, F_MAT | F_ACTIVE, "theta at the top of charge"},
    {"cathode", "stoichiometry_max", KT_QUANTITY, "dimensionless", NULL, F_MAT | F_ACTIVE, "theta at the end of discharge"},
    {"cathode", "max_concentration", KT_QUANTITY, "concentration", NULL, F_MAT | F_ACTIVE, "c_s,max"},
    {"cathode", "diffusivity", KT_QUANTITY, "diffusivity", NULL, F_MAT | F_ARR | F_ACTIVE, "solid diffusivity D_s"},
    {"cathode", "ocp", KT_TEXT, NULL, NULL, F_MAT | F_ACTIVE,
     "open-circuit potential: NMC811 | LCO | NMC532 | LFP | a voltage | a CSV file of theta,voltage"},
    {"protocol", "", KT_LIST, NULL, NULL, 0, "list of steps"},
    {"materials", "", KT_LIST, NULL, NULL, 0, "extra material files, relative to the config"},
    {"stack", "anode_collector", KT_TEXT, NULL, "Cu", 0, "anode current collector material (library phase collector)"},
    {"stack", "anode_collector_thickness", KT_QUANTITY, "length", "10 um", 0, "anode collector foil thickness (0: none)"},
    {"stack", "anode_collector_density", KT_QUANTITY, "density", NULL, 0, "anode collector density (default: the material's)"},
    {"stack", "cathode_collector", KT_TEXT, NULL, "Al", 0, "cathode current collector material (library phase collector)"},
    {"stack", "cathode_collector_thickness", KT_QUANTITY, "length", "15 um", 0, "cathode collector foil thickness (0: none)"},
    {"stack", "cathode_collector_density", KT_QUANTITY, "density", NULL, 0, "cathode collector density (default: the material's)"},
    {"output", "file", KT_TEXT, NULL, NULL, 0, "HDF5 output file (default out/<config name>.h5)"},
    {"output", "interval", KT_QUANTITY, "time", "0", 0, "time between field outputs; 0 = every accepted step"},
    {"output", "directory", KT_TEXT, NULL, NULL, 0, "directory of a sweep's point files and summary (default out/<config name>/)"},
    {"solver", "rtol", KT_QUANTITY, "dimensionless", "1e-4", 0, "relative time-step error tolerance"},
    {"solver", "atol", KT_QUANTITY, "concentration", "1e-3", 0, "absolute time-step error tolerance"},
    {"solver", "dt_initial", KT_QUANTITY, "time", "1e-3 s", 0, "first time step"},
    {"solver", "dt_max", KT_QUANTITY, "time", "inf", F_INF, "largest time step"},
    {"solver", "depletion_fraction", KT_QUANTITY, "dimensionless", "1e-3", 0, "c/c_ref at an interface that counts as depleted"},
    {"solver", "max_steps", KT_INT, NULL, "100000", 0, "most time steps of a run"},
    {"solver", "voltage_step", KT_QUANTITY, "voltage", "10 mV", 0, "largest change of the terminal voltage in one time step"},
    {"solver", "newton_tolerance", KT_QUANTITY, "voltage", "1e-10 V", 0, "Newton stops when its update moves no potential more than this"},
};
const size_t ConfigSchemaSize = sizeof ConfigSchema / sizeof ConfigSchema[0];

const char *const ConfigSections[]   = {"cell",     "mesh",      "anode",  "separator", "cathode", "stack",
                                        "protocol", "materials", "output", "solver",    "define",  "sweep"};
const size_t      ConfigSectionCount = sizeof ConfigSections / sizeof ConfigSections[0];

static PetscBool IsSection(const char *name, size_t len)
{
  for (size_t i = 0; i < ConfigSectionCount; i++)
    if (strlen(ConfigSections[i]) == len && !strncmp(ConfigSections[i], name, len)) return PETSC_TRUE;
  return PETSC_FALSE;
}

static const SchemaKey *FindKey(const char *section, const char *key)
{
  for (size_t i = 0; i < ConfigSchemaSize; i++)
    if (!strcmp(ConfigSchema[i].section, section) && !strcmp(ConfigSchema[i].key, key)) return &ConfigSchema[i];
  return NULL;
}

/* Resolves "conductivity_activation_energy" to the schema entry of
 * "conductivity" when that key takes an activation energy. */
static const SchemaKey *FindActivationKey(const char *section, const char *key)
{
  const char *suffix = "_activation_energy";
  size_t      n = strlen(key), m = strlen(suffix);
  char        base[64];

  if (n <= m || n - m >= sizeof base || strcmp(key + n - m, suffix)) return NULL;
  memcpy(base, key, n - m);
  base[n - m] = 0;
  for (size_t i = 0; i < ConfigSchemaSize; i++)
    if (!strcmp(ConfigSchema[i].section, section) && !strcmp(ConfigSchema[i].key, base) && (ConfigSchema[i].flags & F_ARR)) return &ConfigSchema[i];
  return NULL;
}

const SchemaKey *ConfigFindKey(const char *section, const char *key)
{
  const SchemaKey *k = FindKey(section, key);
  return k ? k : FindActivationKey(section, key);
}

PetscErrorCode ConfigAllowedKeys(const char *section, char *buf, size_t len)
{
  PetscFunctionBeginUser;
  buf[0] = 0;
  for (size_t i = 0; i < ConfigSchemaSize; i++) {
    if (strcmp(ConfigSchema[i].section, section)) continue;
    if (buf[0]) PetscCall(StrAppend(buf, ", ", len));
    PetscCall(StrAppend(buf, ConfigSchema[i].key, len));
    if (ConfigSchema[i].flags & F_ARR) PetscCall(StrAppend(buf, " (+_activation_energy)", len));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode AllowedSections(char *buf, size_t len)
{
  PetscFunctionBeginUser;
  buf[0] = 0;
  for (size_t i = 0; i < ConfigSectionCount; i++) {
    if (i) PetscCall(StrAppend(buf, ", ", len));
    PetscCall(StrAppend(buf, ConfigSections[i], len));
  }
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------ YAML input */

const char *YamlScalar(yaml_node_t *n)
{
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

PetscErrorCode ReadInputFile(const char *path, size_t max_bytes, char **text, size_t *len)
{
  struct stat st;
  int         fd;
  size_t      n = 0, cap;
  char       *buf;

  PetscFunctionBeginUser;
  *text = NULL;
  *len  = 0;
  /* Only a hint, to avoid even opening a FIFO or a device such as /dev/zero;
   * the fstat of the opened file below is what decides. */
  PetscCheck(stat(path, &st) || S_ISREG(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot read: %s, not a regular file", path,
             S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
  fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  PetscCheck(fd >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open: %s", path, strerror(errno));
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot read: not a regular file", path);
  }
  if ((size_t)st.st_size > max_bytes) {
    close(fd);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the file has %lld bytes; an input file may have at most %zu", path, (long long)st.st_size,
            max_bytes);
  }
  /* Read to the end, not to st_size: the file may grow while it is read. */
  cap = (size_t)st.st_size + 2;
  buf = (char *)malloc(cap);
  for (;;) {
    ssize_t got;
    if (buf && n + 1 == cap && cap <= max_bytes + 1) { /* grown since fstat */
      char *more = (char *)realloc(buf, PetscMin(2 * cap, max_bytes + 2));
      if (!more) free(buf);
      buf = more;
      cap = PetscMin(2 * cap, max_bytes + 2);
    }
    if (!buf) {
      close(fd);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "%s: out of memory reading the file", path);
    }
    got = read(fd, buf + n, cap - 1 - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      close(fd);
      free(buf);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot read: %s", path, strerror(e));
    }
    if (!got) break;
    n += (size_t)got;
    if (n > max_bytes) {
      close(fd);
      free(buf);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the file has more than %zu bytes, the most an input file may have", path, max_bytes);
    }
  }
  close(fd);
  buf[n] = 0;
  *text  = buf;
  *len   = n;
  PetscFunctionReturn(0);
}

/* Loads the first document and makes sure there is no second one: a second
 * document (after ---) would otherwise be ignored without a word. */
static PetscErrorCode YamlLoad(yaml_parser_t *parser, const char *where, yaml_document_t *doc)
{
  char            msg[512];
  yaml_document_t extra;
  int             line;

  PetscFunctionBeginUser;
  if (!yaml_parser_load(parser, doc)) {
    PetscCall(PetscSNPrintf(msg, sizeof msg, "%s:%d:%d: YAML syntax error: %s%s%s", where, (int)parser->problem_mark.line + 1,
                            (int)parser->problem_mark.column + 1, parser->problem ? parser->problem : "unknown", parser->context ? " " : "",
                            parser->context ? parser->context : ""));
    yaml_parser_delete(parser);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  /* Also after an empty first document: "---\n---\ncell: ..." is two. */
  if (!yaml_parser_load(parser, &extra)) {
    PetscCall(PetscSNPrintf(msg, sizeof msg, "%s:%d:%d: YAML syntax error: %s%s%s", where, (int)parser->problem_mark.line + 1,
                            (int)parser->problem_mark.column + 1, parser->problem ? parser->problem : "unknown", parser->context ? " " : "",
                            parser->context ? parser->context : ""));
    yaml_parser_delete(parser);
    yaml_document_delete(doc);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  line = (int)extra.start_mark.line + 1;
  if (yaml_document_get_root_node(&extra)) {
    yaml_document_delete(&extra);
    yaml_parser_delete(parser);
    yaml_document_delete(doc);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
            "%s:%d: a second YAML document starts here; a config is one document (remove this '---' and what follows, or merge it into the first)",
            where, line);
  }
  yaml_document_delete(&extra);
  yaml_parser_delete(parser);
  PetscFunctionReturn(0);
}

PetscErrorCode YamlLoadFile(const char *path, yaml_document_t *doc)
{
  yaml_parser_t  parser;
  char          *text;
  size_t         len;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(ReadInputFile(path, INPUT_FILE_MAX_BYTES, &text, &len));
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  ierr = YamlLoad(&parser, path, doc);
  free(text);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode YamlLoadString(const char *text, const char *where, yaml_document_t *doc)
{
  yaml_parser_t parser;

  PetscFunctionBeginUser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
  PetscCall(YamlLoad(&parser, where, doc));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------- the flat key list */

typedef struct {
  char      key[128]; /* section.key */
  char     *value;
  char     *origin; /* "file:line" or "command line -key" */
  PetscBool used;
} Entry;

typedef struct {
  char *text;
  char *origin;
} StepText;

typedef struct {
  char  *s;
  size_t n, cap;
} Text;

typedef struct {
  MPI_Comm        comm; /* of the run: warnings print once, on its rank 0 */
  const char     *file;
  Params         *params; /* being filled; its input list grows as files are read */
  Entry          *e;
  PetscInt        n, cap;
  StepText        steps[MAX_PROTOCOL_STEPS];
  PetscInt        nsteps;
  PetscBool       protocol_given;
  PetscInt        protocol_items; /* list items visited by the protocol walk */
  char          **materials;
  PetscInt        nmaterials;
  MaterialLibrary lib;
  Text            yaml; /* the resolved config being written */
  PetscReal       T;    /* run temperature */
  char            label[PETSC_MAX_PATH_LEN + 256];
} Config;

static PetscErrorCode TextPrintf(Text *t, const char *fmt, ...)
{
  va_list ap;
  int     len;

  PetscFunctionBeginUser;
  va_start(ap, fmt);
  len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (t->n + (size_t)len + 1 > t->cap) {
    size_t cap = PetscMax(2 * t->cap, t->n + (size_t)len + 4096);
    char  *s   = (char *)realloc(t->s, cap);
    PetscCheck(s, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory writing the resolved config");
    t->s   = s;
    t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->s + t->n, (size_t)len + 1, fmt, ap);
  va_end(ap);
  t->n += (size_t)len;
  PetscFunctionReturn(0);
}

/* Inserts the text of part at offset at of t. */
static PetscErrorCode TextInsert(Text *t, size_t at, const Text *part)
{
  const size_t tail = t->n - at;

  PetscFunctionBeginUser;
  if (!part->n) PetscFunctionReturn(0);
  PetscCall(TextPrintf(t, "%*s", (int)part->n, "")); /* room */
  memmove(t->s + at + part->n, t->s + at, tail);
  memcpy(t->s + at, part->s, part->n);
  PetscFunctionReturn(0);
}

/* A double-quoted YAML string, its plain runs copied whole (one printf per
 * character made this a quarter of a config's load). */
static PetscErrorCode TextQuoted(Text *t, const char *s)
{
  PetscFunctionBeginUser;
  PetscCall(TextPrintf(t, "\""));
  while (*s) {
    const size_t plain = strcspn(s, "\"\\\n");
    if (plain) PetscCall(TextPrintf(t, "%.*s", (int)plain, s));
    s += plain;
    if (*s == '\n')
      PetscCall(TextPrintf(t, "\\n"));
    else if (*s)
      PetscCall(TextPrintf(t, "\\%c", *s));
    if (*s) s++;
  }
  PetscCall(TextPrintf(t, "\""));
  PetscFunctionReturn(0);
}

/* Records a file the run reads, once, so the output never writes it. */
static PetscErrorCode AddInput(Params *p, const char *path)
{
  char **list;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < p->ninputs; i++)
    if (!strcmp(p->inputs[i], path)) PetscFunctionReturn(0);
  PetscCall(PetscMalloc1(p->ninputs + 1, &list));
  if (p->ninputs) PetscCall(PetscArraycpy(list, p->inputs, p->ninputs));
  PetscCall(PetscStrallocpy(path, &list[p->ninputs]));
  PetscCall(PetscFree(p->inputs));
  p->inputs = list;
  p->ninputs++;
  PetscFunctionReturn(0);
}

static Entry *FindEntry(Config *c, const char *key)
{
  for (PetscInt i = 0; i < c->n; i++)
    if (!strcmp(c->e[i].key, key)) return &c->e[i];
  return NULL;
}

/* Checks a key against the schema before storing it, so that an unknown key
 * is reported with where it was written. */
static PetscErrorCode CheckKey(const char *section, const char *key, const char *origin)
{
  char list[2048];

  PetscFunctionBeginUser;
  if (!IsSection(section, strlen(section))) {
    PetscCall(AllowedSections(list, sizeof list));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown section '%s'; allowed sections: %s", origin, section, list);
  }
  if (!FindKey(section, key) && !FindActivationKey(section, key)) {
    PetscCall(ConfigAllowedKeys(section, list, sizeof list));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown key '%s' in section %s; allowed keys of %s: %s", origin, key, section, section, list);
  }
  PetscFunctionReturn(0);
}

/* A named value of the define section: a name the protocol refers to as ${name}. */
static PetscBool DefineName(const char *name)
{
  if (!name || !(isalpha((unsigned char)name[0]) || name[0] == '_') || strlen(name) > 48) return PETSC_FALSE;
  for (const char *s = name; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return PETSC_FALSE;
  return PETSC_TRUE;
}

static PetscErrorCode SetEntry(Config *c, const char *section, const char *key, const char *value, const char *origin, PetscBool replace)
{
  char   full[128];
  Entry *e;

  PetscFunctionBeginUser;
  if (!strcmp(section, "define")) /* its names are the user's own, not the schema's */
    PetscCheck(DefineName(key), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: define.%s: a defined name is a letter or _ followed by letters, digits or _ (at most 48), as in rate", origin, key);
  else
    PetscCall(CheckKey(section, key, origin));
  PetscCall(PetscSNPrintf(full, sizeof full, "%s.%s", section, key));
  e = FindEntry(c, full);
  PetscCheck(!e || replace, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s is given twice (first at %s)", origin, full, e ? e->origin : "");
  if (!e) {
    if (c->n == c->cap) {
      Entry *tmp;
      c->cap = c->cap ? 2 * c->cap : 64;
      PetscCall(PetscCalloc1(c->cap, &tmp));
      if (c->n) PetscCall(PetscArraycpy(tmp, c->e, c->n));
      PetscCall(PetscFree(c->e));
      c->e = tmp;
    }
    e = &c->e[c->n++];
    PetscCall(PetscStrncpy(e->key, full, sizeof e->key));
  }
  PetscCall(PetscFree(e->value));
  PetscCall(PetscStrallocpy(value, &e->value));
  PetscCall(PetscFree(e->origin));
  PetscCall(PetscStrallocpy(origin, &e->origin));
  PetscFunctionReturn(0);
}

static PetscErrorCode AddStep(Config *c, const char *text, const char *origin)
{
  PetscFunctionBeginUser;
  PetscCheck(c->nsteps < MAX_PROTOCOL_STEPS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: protocol: more than %d steps (after expanding repeat groups)", origin, MAX_PROTOCOL_STEPS);
  PetscCall(PetscStrallocpy(text, &c->steps[c->nsteps].text));
  c->nsteps++; /* ConfigFree frees what is counted */
  PetscCall(PetscStrallocpy(origin, &c->steps[c->nsteps - 1].origin));
  PetscFunctionReturn(0);
}

/* Where a protocol walk is: the lists and groups it is inside, to refuse an
 * alias that refers to a list containing it (protocol: &a [*a]), and the
 * items visited so far, since aliases can make a short file name a huge tree
 * of empty lists that adds no step but takes forever to walk. */
typedef struct {
  yaml_node_t *path[PROTOCOL_MAX_DEPTH + 1];
  PetscInt     depth;
} ProtocolWalk;

/* Reads repeat: N as a whole number in [1, MAX_PROTOCOL_STEPS] before
 * anything is expanded, so that a huge count fails at once. */
static PetscErrorCode ProtocolRepeat(yaml_node_t *v, const char *origin, long *repeat)
{
  const char *s = YamlScalar(v);
  char       *end;

  PetscFunctionBeginUser;
  PetscCheck(s, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: repeat must be a whole number from 1 to %d, not a %s", origin,
             MAX_PROTOCOL_STEPS, v->type == YAML_MAPPING_NODE ? "mapping" : "list");
  errno   = 0;
  *repeat = strtol(s, &end, 10);
  while (isspace((unsigned char)*end))
    end++;
  PetscCheck(end != s && !*end, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: repeat must be a whole number from 1 to %d (got '%s')", origin,
             MAX_PROTOCOL_STEPS, s);
  PetscCheck(errno != ERANGE && *repeat >= 1 && *repeat <= MAX_PROTOCOL_STEPS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: protocol: repeat: %s is not allowed; a group repeats 1 to %d times (a protocol has at most %d steps)", origin, s,
             MAX_PROTOCOL_STEPS, MAX_PROTOCOL_STEPS);
  PetscFunctionReturn(0);
}

/* A protocol is a list of step strings; an item may be a mapping
 * {repeat: N, steps: [...]}, expanded in place (groups nest). */
static PetscErrorCode AddProtocolItems(Config *c, yaml_document_t *doc, yaml_node_t *n, const char *where, ProtocolWalk *w)
{
  char origin[PETSC_MAX_PATH_LEN + 64];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(origin, sizeof origin, "%s:%d", where, (int)n->start_mark.line + 1));
  PetscCheck(++c->protocol_items <= PROTOCOL_MAX_ITEMS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: protocol: more than %d list items after expanding aliases and repeat groups; a protocol has at most %d steps", origin,
             PROTOCOL_MAX_ITEMS, MAX_PROTOCOL_STEPS);
  if (n->type == YAML_SCALAR_NODE) {
    PetscCall(AddStep(c, YamlScalar(n), origin));
    PetscFunctionReturn(0);
  }
  for (PetscInt i = 0; i < w->depth; i++)
    PetscCheck(w->path[i] != n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: protocol: an alias refers to a list or group that contains it (as in &a [*a]), so it never ends; an alias may only repeat a "
               "complete list",
               origin);
  PetscCheck(w->depth < PROTOCOL_MAX_DEPTH, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: protocol: lists and repeat groups nested more than %d deep; flatten the protocol", origin, PROTOCOL_MAX_DEPTH);
  w->path[w->depth++] = n;
  if (n->type == YAML_SEQUENCE_NODE) {
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
      PetscCall(AddProtocolItems(c, doc, yaml_document_get_node(doc, *it), where, w));
  } else {
    yaml_node_t *steps  = NULL;
    long         repeat = 0;
    PetscInt     before;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
      const char  *k = YamlScalar(yaml_document_get_node(doc, p->key));
      yaml_node_t *v = yaml_document_get_node(doc, p->value);
      if (k && !strcmp(k, "repeat")) {
        PetscCheck(!repeat, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: repeat is given twice in a group", origin);
        PetscCall(ProtocolRepeat(v, origin, &repeat));
      } else if (k && !strcmp(k, "steps")) {
        PetscCheck(!steps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: steps is given twice in a group", origin);
        steps = v;
      } else
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: unknown key '%s' in a group; a group is {repeat: N, steps: [step, ...]}",
                origin, k ? k : "(not a name)");
    }
    PetscCheck(repeat >= 1 && steps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: a group needs both repeat: N and steps: [step, ...]",
               origin);
    /* Each repetition adds at least one step, so AddStep's limit bounds the
     * loop; a group that adds none would only spin. */
    before = c->nsteps;
    PetscCall(AddProtocolItems(c, doc, steps, where, w));
    PetscCheck(c->nsteps > before, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol: the steps of a group are empty; give at least one step",
               origin);
    for (long r = 1; r < repeat; r++)
      PetscCall(AddProtocolItems(c, doc, steps, where, w));
  }
  w->depth--;
  PetscFunctionReturn(0);
}

/* The protocol of a document (the file's, or a command-line value): a fresh
 * walk with its own bounds. */
static PetscErrorCode SetProtocol(Config *c, yaml_document_t *doc, yaml_node_t *n, const char *where)
{
  ProtocolWalk w;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < c->nsteps; i++) {
    PetscCall(PetscFree(c->steps[i].text));
    PetscCall(PetscFree(c->steps[i].origin));
  }
  c->nsteps         = 0;
  c->protocol_items = 0;
  c->protocol_given = PETSC_TRUE;
  w.depth           = 0;
  PetscCall(AddProtocolItems(c, doc, n, where, &w));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetMaterials(Config *c, yaml_document_t *doc, yaml_node_t *n, const char *origin)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < c->nmaterials; i++)
    PetscCall(PetscFree(c->materials[i]));
  PetscCall(PetscFree(c->materials));
  c->nmaterials = 0;
  if (n->type == YAML_SCALAR_NODE) {
    if (!n->data.scalar.length) PetscFunctionReturn(0); /* "materials:" with nothing: none */
    PetscCall(PetscMalloc1(1, &c->materials));
    PetscCall(PetscStrallocpy(YamlScalar(n), &c->materials[c->nmaterials++]));
  } else {
    PetscCheck(n->type == YAML_SEQUENCE_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: materials must be a list of material files", origin);
    PetscCall(PetscMalloc1(PetscMax(1, n->data.sequence.items.top - n->data.sequence.items.start), &c->materials));
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
      const char *s = YamlScalar(yaml_document_get_node(doc, *it));
      PetscCheck(s && s[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: materials must be a list of material file names", origin);
      PetscCall(PetscStrallocpy(s, &c->materials[c->nmaterials++]));
    }
  }
  PetscFunctionReturn(0);
}

/* A mapping value as one flow-mapping text, the form a command-line value
 * takes too: a profile {separator_side: a, collector_side: b} (its keys
 * checked here, its ends by GetProfile) or mesh.labels {0: void, 7:
 * electrolyte} (checked by ResolveLabels). */
static PetscErrorCode FlowText(yaml_document_t *doc, yaml_node_t *map, const char *origin, const char *section, const char *key, PetscBool profile,
                               char *text, size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(text, "{", len));
  for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < map->data.mapping.pairs.top; q++) {
    const char *k = YamlScalar(yaml_document_get_node(doc, q->key)), *v = YamlScalar(yaml_document_get_node(doc, q->value));
    PetscCheck(k && v && (!profile || !strcmp(k, "separator_side") || !strcmp(k, "collector_side")), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: %s.%s: %s; got '%s'", origin, section, key,
               profile ? "a profile has the keys separator_side and collector_side, each with one value"
                       : "labels map to phases, one value each, e.g. {0: void, 7: electrolyte}",
               k ? k : "(not a name)");
    PetscCheck(strlen(text) + strlen(k) + strlen(v) + 6 < len, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s: the mapping is too long", origin,
               section, key);
    if (q > map->data.mapping.pairs.start) PetscCall(StrAppend(text, ", ", len));
    PetscCall(StrAppend(text, k, len));
    PetscCall(StrAppend(text, ": ", len));
    PetscCall(StrAppend(text, v, len));
  }
  PetscCall(StrAppend(text, "}", len));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadConfigDocument(Config *c, yaml_document_t *doc)
{
  yaml_node_t *root            = yaml_document_get_root_node(doc);
  PetscBool    materials_given = PETSC_FALSE;

  PetscFunctionBeginUser;
  if (!root) PetscFunctionReturn(0); /* an empty file: every default */
  PetscCheck(root->type == YAML_MAPPING_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: a config is a mapping of sections (cell:, anode:, ...)",
             c->file, (int)root->start_mark.line + 1);
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
    const char  *section = YamlScalar(k);
    char         origin[PETSC_MAX_PATH_LEN + 64], list[512];

    PetscCall(PetscSNPrintf(origin, sizeof origin, "%s:%d", c->file, (int)k->start_mark.line + 1));
    PetscCall(AllowedSections(list, sizeof list));
    PetscCheck(section && IsSection(section, strlen(section)), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: unknown section '%s'; allowed sections: %s", origin, section ? section : "(not a name)", list);
    if (!strcmp(section, "sweep")) {
      continue; /* the points of `ionstack sweep` (config/sweep.c); a run takes the values outside it */
    } else if (!strcmp(section, "protocol")) {
      PetscCheck(!c->protocol_given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol is given twice", origin);
      PetscCall(SetProtocol(c, doc, v, c->file));
    } else if (!strcmp(section, "materials")) {
      PetscCheck(!materials_given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: materials is given twice", origin);
      materials_given = PETSC_TRUE;
      PetscCall(SetMaterials(c, doc, v, origin));
    } else if (v->type == YAML_SCALAR_NODE && !v->data.scalar.length) {
      continue; /* "solver:" with nothing under it */
    } else {
      PetscCheck(v->type == YAML_MAPPING_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: section %s must be a mapping of key: value", origin,
                 section);
      for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        yaml_node_t *kk = yaml_document_get_node(doc, q->key), *vv = yaml_document_get_node(doc, q->value);
        const char  *key = YamlScalar(kk), *value = YamlScalar(vv);
        PetscCall(PetscSNPrintf(origin, sizeof origin, "%s:%d", c->file, (int)kk->start_mark.line + 1));
        const SchemaKey *sk = key ? FindKey(section, key) : NULL;
        char             profile[256];
        PetscCheck(key, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: keys of section %s must be plain names", origin, section);
        if (!value && sk && (sk->type == KT_PROFILE || (!strcmp(section, "mesh") && !strcmp(key, "labels"))) && vv->type == YAML_MAPPING_NODE) {
          PetscCall(FlowText(doc, vv, origin, section, key, (PetscBool)(sk->type == KT_PROFILE), profile, sizeof profile));
          value = profile;
        }
        PetscCheck(value, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s must be a single value%s, not a %s", origin, section, key,
                   sk && sk->type == KT_PROFILE ? " or a profile {separator_side: a, collector_side: b}" : "",
                   vv->type == YAML_MAPPING_NODE ? "mapping" : "list");
        PetscCall(SetEntry(c, section, key, value, origin, PETSC_FALSE));
      }
    }
  }
  PetscFunctionReturn(0);
}

/* The document is deleted whatever happens, also when it is refused. */
static PetscErrorCode ReadConfigFile(Config *c)
{
  yaml_document_t doc;
  PetscErrorCode  ierr;

  PetscFunctionBeginUser;
  PetscCall(YamlLoadFile(c->file, &doc));
  ierr = ReadConfigDocument(c, &doc);
  yaml_document_delete(&doc);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* A command-line value of protocol or materials is YAML itself, so both
 * "[charge at 1C for 1 h, rest for 1 h]" and a single step work. */
static PetscErrorCode ApplyOverride(Config *c, const char *key, const char *value)
{
  char        section[64], origin[PETSC_MAX_PATH_LEN + 64];
  const char *dot = strchr(key, '.');

  PetscFunctionBeginUser;
  PetscCheck(key && value, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "command line: an override without a %s", key ? "value" : "key");
  PetscCall(PetscSNPrintf(origin, sizeof origin, "command line -%s", key));
  for (char *s = origin; *s; s++)
    if (*s == '.') *s = '_';
  if (!strcmp(key, "protocol") || !strcmp(key, "materials")) {
    yaml_document_t doc;
    yaml_node_t    *root;
    PetscErrorCode  ierr;
    PetscCall(YamlLoadString(value, origin, &doc));
    root = yaml_document_get_root_node(&doc);
    if (!root) {
      yaml_document_delete(&doc);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: no value; give a list such as \"[rest for 1 h]\"", origin);
    }
    if (key[0] == 'p')
      ierr = SetProtocol(c, &doc, root, origin);
    else
      ierr = SetMaterials(c, &doc, root, origin);
    yaml_document_delete(&doc);
    PetscCall(ierr);
    PetscFunctionReturn(0);
  }
  PetscCheck(dot && (size_t)(dot - key) < sizeof section, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: an override key is section.key (e.g. separator.thickness), got '%s'", origin, key);
  memcpy(section, key, (size_t)(dot - key));
  section[dot - key] = 0;
  PetscCheck(strcmp(section, "define") || FindEntry(c, key), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: %s is not defined in %s; define it there (define: {%s: ...}) and refer to it in the protocol as $%s", origin, key, c->file, dot + 1,
             dot + 1);
  PetscCall(SetEntry(c, section, dot + 1, value, origin, PETSC_TRUE));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------ typed access */

/* The value of section.key: the config's, else `fallback`, else the schema
 * default; *origin says which, for messages and provenance. */
static PetscErrorCode Lookup(Config *c, const char *section, const char *key, const char *fallback, const char **value, const char **origin)
{
  char             full[128];
  Entry           *e;
  const SchemaKey *s = FindKey(section, key);

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(full, sizeof full, "%s.%s", section, key));
  e = FindEntry(c, full);
  if (e) {
    e->used = PETSC_TRUE;
    PetscCall(PetscSNPrintf(c->label, sizeof c->label, "%s: %s", e->origin, full));
    *value  = e->value;
    *origin = "config";
  } else {
    PetscCall(PetscSNPrintf(c->label, sizeof c->label, "%s: %s (default)", c->file, full));
    *value  = fallback ? fallback : (s ? s->def : NULL);
    *origin = "default";
  }
  PetscFunctionReturn(0);
}

static PetscBool Given(Config *c, const char *section, const char *key)
{
  char full[128];
  PetscSNPrintf(full, sizeof full, "%s.%s", section, key);
  return FindEntry(c, full) ? PETSC_TRUE : PETSC_FALSE;
}

static PetscErrorCode GetReal(Config *c, const char *section, const char *key, const char *fallback, PetscReal *v, PetscBool *found)
{
  const char      *value, *origin;
  const SchemaKey *s = FindKey(section, key);

  PetscFunctionBeginUser;
  PetscCall(Lookup(c, section, key, fallback, &value, &origin));
  if (found) *found = value ? PETSC_TRUE : PETSC_FALSE;
  if (!value) PetscFunctionReturn(0);
  PetscCall(UnitsParseQuantity(value, s->dimension, c->label, (PetscBool) !!(s->flags & F_INF), v));
  if (PetscIsInfReal(*v)) *v = *v > 0 ? PETSC_INFINITY : PETSC_NINFINITY;
  PetscFunctionReturn(0);
}

/* A quantity, or {separator_side: a, collector_side: b} with both ends. */
static PetscErrorCode GetProfile(Config *c, const char *section, const char *key, Profile *q)
{
  const char      *value, *origin;
  const SchemaKey *s = FindKey(section, key);
  char             where[sizeof c->label];

  PetscFunctionBeginUser;
  PetscCall(Lookup(c, section, key, NULL, &value, &origin));
  PetscCall(PetscStrncpy(where, c->label, sizeof where));
  while (isspace((unsigned char)*value))
    value++;
  if (*value != '{') {
    PetscCall(UnitsParseQuantity(value, s->dimension, where, PETSC_FALSE, &q->separator_side));
    q->collector_side = q->separator_side;
  } else {
    yaml_document_t doc;
    yaml_node_t    *root;
    PetscErrorCode  ierr    = 0;
    PetscBool       seen[2] = {PETSC_FALSE, PETSC_FALSE};
    PetscCall(YamlLoadString(value, where, &doc));
    root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) ierr = PETSC_ERR_USER_INPUT;
    for (yaml_node_pair_t *p = root && !ierr ? root->data.mapping.pairs.start : NULL; p && p < root->data.mapping.pairs.top && !ierr; p++) {
      const char *k = YamlScalar(yaml_document_get_node(&doc, p->key)), *v = YamlScalar(yaml_document_get_node(&doc, p->value));
      const int   side = k && !strcmp(k, "separator_side") ? 0 : (k && !strcmp(k, "collector_side") ? 1 : -1);
      if (side < 0 || !v || seen[side]) {
        ierr = PETSC_ERR_USER_INPUT;
        break;
      }
      seen[side] = PETSC_TRUE;
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = UnitsParseQuantity(v, s->dimension, where, PETSC_FALSE, side ? &q->collector_side : &q->separator_side);
      PetscCall(PetscPopErrorHandler());
    }
    yaml_document_delete(&doc);
    PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: '%s' is not a profile; give a number or {separator_side: a, collector_side: b} (each a %s)", where, value, s->dimension);
    PetscCheck(seen[0] && seen[1], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: the profile '%s' has no %s end; give both separator_side and collector_side", where, value,
               seen[0] ? "collector_side" : "separator_side");
  }
  PetscCall(PetscStrncpy(c->label, where, sizeof c->label));
  PetscFunctionReturn(0);
}

static PetscErrorCode GetInt(Config *c, const char *section, const char *key, const char *fallback, PetscInt *v)
{
  const char *value, *origin;
  char       *end;
  long        l;

  PetscFunctionBeginUser;
  PetscCall(Lookup(c, section, key, fallback, &value, &origin));
  errno = 0;
  l     = strtol(value, &end, 10);
  while (isspace((unsigned char)*end))
    end++;
  PetscCheck(end != value && !*end, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is not an integer; give a whole number such as 20", c->label,
             value);
  /* strtol saturates and a cast wraps: 4294967306 must not become 10. */
  PetscCheck(errno != ERANGE && l >= PETSC_MIN_INT && l <= PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: %s does not fit an integer of this build (from %" PetscInt_FMT " to %" PetscInt_FMT ")", c->label, value, PETSC_MIN_INT,
             PETSC_MAX_INT);
  *v = (PetscInt)l;
  PetscFunctionReturn(0);
}

static PetscErrorCode GetBool(Config *c, const char *section, const char *key, const char *fallback, PetscBool *v)
{
  const char *value, *origin;
  PetscBool   t, f;

  PetscFunctionBeginUser;
  PetscCall(Lookup(c, section, key, fallback, &value, &origin));
  PetscCall(PetscStrcasecmp(value, "true", &t));
  if (!t) PetscCall(PetscStrcasecmp(value, "yes", &t));
  if (!t) PetscCall(PetscStrcasecmp(value, "on", &t));
  if (!t) t = (PetscBool)!strcmp(value, "1");
  PetscCall(PetscStrcasecmp(value, "false", &f));
  if (!f) PetscCall(PetscStrcasecmp(value, "no", &f));
  if (!f) PetscCall(PetscStrcasecmp(value, "off", &f));
  if (!f) f = (PetscBool)!strcmp(value, "0");
  PetscCheck(t || f, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is not a boolean; write true or false", c->label, value);
  *v = t;
  PetscFunctionReturn(0);
}

static PetscErrorCode GetText(Config *c, const char *section, const char *key, const char *fallback, const char **v)
{
  const char *origin;

  PetscFunctionBeginUser;
  PetscCall(Lookup(c, section, key, fallback, v, &origin));
  PetscFunctionReturn(0);
}

/* Checks lo < v < hi (or <= with the closed flags) and names the key. */
static PetscErrorCode CheckRange(Config *c, const char *section, const char *key, PetscReal v, PetscReal lo, PetscBool lo_closed, PetscReal hi,
                                 PetscBool hi_closed, const char *what)
{
  PetscBool ok = (PetscBool)((lo_closed ? v >= lo : v > lo) && (hi_closed ? v <= hi : v < hi));
  char      full[128];
  Entry    *e;

  PetscFunctionBeginUser;
  if (ok) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(full, sizeof full, "%s.%s", section, key));
  e = FindEntry(c, full);
  if (e) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s = %s is not allowed: %s", e->origin, full, e->value, what);
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s = %g (SI, from the material or the default) is not allowed: %s", c->file, full, (double)v,
          what);
}

static PetscErrorCode YamlValue(Config *c, const char *key, PetscReal v, const char *units, const char *origin)
{
  PetscFunctionBeginUser;
  PetscCall(TextPrintf(&c->yaml, "  %s: %.10g", key, (double)v));
  if (units || origin) PetscCall(TextPrintf(&c->yaml, "  # %s%s%s", units ? units : "", units && origin ? ", " : "", origin ? origin : ""));
  PetscCall(TextPrintf(&c->yaml, "\n"));
  PetscFunctionReturn(0);
}

/* A material parameter at the run temperature. The reference value comes from
 * the config (section.key), else the material, else `fallback`; the
 * activation energy from section.key_activation_energy, else the material;
 * both hold at T_ref. */
static PetscErrorCode MaterialValue(Config *c, const char *section, const MaterialRecord *m, PetscReal T_ref, const char *key, const char *fallback,
                                    const char *units, PetscReal *value, PetscBool *found)
{
  const MaterialParam *mp = MaterialGetParam(m, key);
  const SchemaKey     *s  = FindKey(section, key);
  PetscReal            ref, Ea = 0;
  char                 eakey[96], origin[256];
  const char          *from;

  PetscFunctionBeginUser;
  *found = PETSC_TRUE;
  if (Given(c, section, key)) {
    PetscCall(GetReal(c, section, key, NULL, &ref, NULL));
    from = "config";
  } else if (mp) {
    ref  = mp->value;
    from = "material";
  } else if (fallback || s->def) {
    PetscCall(GetReal(c, section, key, fallback, &ref, NULL));
    from = "default";
  } else {
    *found = PETSC_FALSE;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscSNPrintf(eakey, sizeof eakey, "%s_activation_energy", key));
  if (Given(c, section, eakey)) {
    char   full[160];
    Entry *e;
    PetscCall(PetscSNPrintf(full, sizeof full, "%s.%s", section, eakey));
    e       = FindEntry(c, full);
    e->used = PETSC_TRUE;
    PetscCall(PetscSNPrintf(c->label, sizeof c->label, "%s: %s", e->origin, full));
    PetscCall(UnitsParse(e->value, "activation_energy", c->label, &Ea));
  } else if (mp)
    Ea = mp->activation_energy;
  { /* the material's temperature law, and a warning outside the range of its source (library.c, docs/materials.md) */
    *value = MaterialLawValue(m, key, Given(c, section, eakey), ref, Ea, T_ref, c->T);
    PetscCall(MaterialRangeCheck(c->comm, m, section, key, Given(c, section, eakey), c->T));
  }
  if (!strcmp(from, "material"))
    snprintf(origin, sizeof origin, "material %s, %g at %g K, Ea %g J/mol", m->name, (double)ref, (double)T_ref, (double)Ea);
  else
    snprintf(origin, sizeof origin, "%s, %g at %g K, Ea %g J/mol", from, (double)ref, (double)T_ref, (double)Ea);
  PetscCall(YamlValue(c, key, *value, units, origin));
  PetscFunctionReturn(0);
}

static PetscErrorCode RequireMaterialValue(Config *c, const char *section, const MaterialRecord *m, PetscReal T_ref, const char *key,
                                           const char *units, PetscReal *value)
{
  PetscBool found;

  PetscFunctionBeginUser;
  PetscCall(MaterialValue(c, section, m, T_ref, key, NULL, units, value, &found));
  PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s is needed: material %s does not give it; set %s.%s%s%s%s", c->file, section,
             key, m ? m->name : "custom", section, key, units ? " (in " : "", units ? units : "", units ? " or equivalent units)" : "");
  PetscFunctionReturn(0);
}

static PetscErrorCode ReferenceTemperature(Config *c, const char *section, const MaterialRecord *m, PetscReal *T_ref)
{
  PetscBool found;

  PetscFunctionBeginUser;
  PetscCall(GetReal(c, section, "reference_temperature", NULL, T_ref, &found));
  if (!found) *T_ref = m ? m->reference_temperature : c->T;
  PetscCall(CheckRange(c, section, "reference_temperature", *T_ref, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_TRUE, "a temperature must be above 0 K"));
  PetscCall(YamlValue(c, "reference_temperature", *T_ref, "K", found ? "config" : (m ? "material" : "run temperature")));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------ sections */

static PetscErrorCode ResolveLayer(Config *c, const char *section, const char *thickness, const char *cells, Layer *L)
{
  PetscFunctionBeginUser;
  PetscCall(GetReal(c, section, "thickness", thickness, &L->thickness, NULL));
  PetscCall(CheckRange(c, section, "thickness", L->thickness, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a thickness must be > 0, e.g. 18 um"));
  PetscCall(GetInt(c, section, "cells", cells, &L->cells));
  PetscCall(CheckRange(c, section, "cells", (PetscReal)L->cells, 1, PETSC_TRUE, MESH_MAX_CELLS, PETSC_TRUE,
                       "from 1 to " PetscStringize(MESH_MAX_CELLS) " cells (all layers together at most " PetscStringize(MESH_MAX_CELLS) ")"));
  PetscCall(GetReal(c, section, "grading", NULL, &L->grading, NULL));
  PetscCall(
      CheckRange(c, section, "grading", L->grading, 1, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "the grading ratio must be >= 1 (1 = uniform)"));
  PetscCall(YamlValue(c, "thickness", L->thickness, "m", NULL));
  if (c->params->dim == 2) PetscFunctionReturn(0); /* a 2D mesh has square cells (ResolveMesh2d) */
  PetscCall(TextPrintf(&c->yaml, "  cells: %d\n", (int)L->cells));
  PetscCall(YamlValue(c, "grading", L->grading, NULL, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode ResolveKinetics(Config *c, const char *section, const MaterialRecord *m, PetscReal T_ref, const char *i0_default,
                                      const char *cdep, Kinetics *k)
{
  PetscBool found;

  PetscFunctionBeginUser;
  PetscCall(MaterialValue(c, section, m, T_ref, "exchange_current_density", i0_default, "A/m^2", &k->exchange_current_density, &found));
  PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.exchange_current_density is needed: material %s does not give it (e.g. 1 mA/cm^2)",
             c->file, section, m ? m->name : "custom");
  PetscCall(
      CheckRange(c, section, "exchange_current_density", k->exchange_current_density, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "i0 must be > 0"));
  PetscCall(MaterialValue(c, section, m, T_ref, "alpha_a", NULL, NULL, &k->alpha_a, &found));
  PetscCall(CheckRange(c, section, "alpha_a", k->alpha_a, 0, PETSC_FALSE, 1, PETSC_TRUE, "a transfer coefficient lies in (0, 1]"));
  PetscCall(MaterialValue(c, section, m, T_ref, "alpha_c", NULL, NULL, &k->alpha_c, &found));
  PetscCall(CheckRange(c, section, "alpha_c", k->alpha_c, 0, PETSC_FALSE, 1, PETSC_TRUE, "a transfer coefficient lies in (0, 1]"));
  PetscCall(GetReal(c, section, "film_resistance", NULL, &k->film_resistance, NULL));
  PetscCall(CheckRange(c, section, "film_resistance", k->film_resistance, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a resistance must be >= 0"));
  PetscCall(YamlValue(c, "film_resistance", k->film_resistance, "ohm*m^2", NULL));
  PetscCall(GetBool(c, section, "concentration_dependent", cdep, &k->concentration_dependent));
  PetscCall(TextPrintf(&c->yaml, "  concentration_dependent: %s\n", k->concentration_dependent ? "true" : "false"));
  PetscFunctionReturn(0);
}

/* A lithium-metal electrode (the anode, or the cathode of a symmetric cell). */
static PetscErrorCode ResolveLithium(Config *c, const char *section, Layer *L, Kinetics *k, PetscReal *sigma, PetscReal *rho)
{
  const char           *name;
  const MaterialRecord *m;
  PetscReal             T_ref;
  PetscBool             found;

  PetscFunctionBeginUser;
  PetscCall(TextPrintf(&c->yaml, "%s:\n", section));
  PetscCall(GetText(c, section, "material", "lithium", &name));
  PetscCall(LibraryFind(&c->lib, name, "lithium", c->label, &m));
  PetscCall(TextPrintf(&c->yaml, "  material: "));
  PetscCall(TextQuoted(&c->yaml, m->name));
  PetscCall(TextPrintf(&c->yaml, "\n"));
  PetscCall(ReferenceTemperature(c, section, m, &T_ref));
  PetscCall(ResolveLayer(c, section, "20 um", "10", L));
  PetscCall(RequireMaterialValue(c, section, m, T_ref, "conductivity", "S/m", sigma));
  PetscCall(CheckRange(c, section, "conductivity", *sigma, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a conductivity must be > 0"));
  PetscCall(MaterialValue(c, section, m, T_ref, "density", "0", "kg/m^3", rho, &found));
  PetscCall(CheckRange(c, section, "density", *rho, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a density must be >= 0 (0 = unknown)"));
  PetscCall(ResolveKinetics(c, section, m, T_ref, "10 mA/cm^2", "false", k));
  PetscFunctionReturn(0);
}

/* A composite membrane: ceramic filler particles in the separator's
 * material. The conductivity becomes the effective medium's, the density the
 * volume mix; the salt transport of a binary matrix (D, t+) and its
 * concentration stay the matrix's. */
static PetscErrorCode ResolveFiller(Config *c, Electrolyte *e)
{
  const char           *name, *medium, *s = "separator";
  const MaterialRecord *m;
  const MaterialParam  *ms, *md;
  PetscReal             phi, sigma_f;
  EffectiveMedium       model;

  PetscFunctionBeginUser;
  PetscCall(GetText(c, s, "filler", NULL, &name));
  PetscCheck(name || !Given(c, s, "filler_fraction"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: separator.filler_fraction needs separator.filler",
             c->file);
  PetscCheck(name || !Given(c, s, "effective_medium"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: separator.effective_medium needs separator.filler",
             c->file);
  if (!name) PetscFunctionReturn(0);
  PetscCall(LibraryFind(&c->lib, name, "electrolyte", c->label, &m));
  PetscCheck(!strcmp(m->kind, "single_ion"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: separator.filler %s is %s; a filler is a ceramic single-ion conductor (or an inert one with conductivity 0)", c->file, m->name,
             m->kind);
  PetscCall(GetReal(c, s, "filler_fraction", NULL, &phi, NULL));
  PetscCall(CheckRange(c, s, "filler_fraction", phi, 0, PETSC_TRUE, 1, PETSC_FALSE, "a filler fraction lies in [0, 1)"));
  PetscCall(GetText(c, s, "effective_medium", NULL, &medium));
  if (!strcmp(medium, "maxwell_garnett"))
    model = MEDIUM_MAXWELL_GARNETT;
  else if (!strcmp(medium, "bruggeman"))
    model = MEDIUM_BRUGGEMAN;
  else
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: effective_medium '%s' is not allowed; allowed: maxwell_garnett, bruggeman", c->label, medium);
  ms = MaterialGetParam(m, "conductivity");
  md = MaterialGetParam(m, "density");
  PetscCheck(ms, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: separator.filler %s gives no conductivity (%s)", c->file, m->name, m->file);
  sigma_f = MaterialLawValue(m, "conductivity", PETSC_FALSE, ms->value, ms->activation_energy, m->reference_temperature, c->T);
  PetscCall(MaterialRangeCheck(c->comm, m, "separator.filler", "conductivity", PETSC_FALSE, c->T));
  PetscCall(TextPrintf(&c->yaml, "  filler: "));
  PetscCall(TextQuoted(&c->yaml, m->name));
  PetscCall(TextPrintf(&c->yaml, "\n  effective_medium: %s\n", EffectiveMedia[model]));
  PetscCall(YamlValue(c, "filler_fraction", phi, NULL, NULL));
  PetscCall(YamlValue(c, "filler_conductivity", sigma_f, "S/m", "the filler's at the run temperature"));
  e->conductivity = EffectiveMediumConductivity(model, e->conductivity, sigma_f, phi);
  e->density      = e->density > 0 && md && md->value > 0 ? (1 - phi) * e->density + phi * md->value : 0.0;
  PetscCall(YamlValue(c, "effective_conductivity", e->conductivity, "S/m", EffectiveMedia[model]));
  PetscCall(YamlValue(c, "effective_density", e->density, "kg/m^3", "volume mix (0: unknown)"));
  PetscFunctionReturn(0);
}

/* A binary salt from its ion diffusivities, at concentration e->concentration
 * and temperature T: dilute Nernst-Planck (SPEC 2.2). */
static void DiluteElectrolyte(PetscReal Dp, PetscReal Dm, PetscReal T, Electrolyte *e)
{
  e->diffusivity           = 2 * Dp * Dm / (Dp + Dm);
  e->transference          = Dp / (Dp + Dm);
  e->conductivity          = FARADAY * FARADAY * (Dp + Dm) * e->concentration / (GAS_CONSTANT * T);
  e->conductivity_exponent = 1;
  e->thermodynamic_factor  = 1;
}

static PetscErrorCode ResolveSeparator(Config *c, Params *p)
{
  Electrolyte          *e = &p->region[REGION_SEPARATOR].electrolyte;
  const char           *name, *kind, *s = "separator";
  const MaterialRecord *m = NULL;
  PetscReal             T_ref, Dp = 0, Dm = 0;
  PetscBool             custom, hasDp, hasDm, found;

  PetscFunctionBeginUser;
  PetscCall(TextPrintf(&c->yaml, "separator:\n"));
  PetscCall(GetText(c, s, "material", NULL, &name));
  custom = (PetscBool)!strcmp(name, "custom");
  if (!custom) PetscCall(LibraryFind(&c->lib, name, "electrolyte", c->label, &m));
  PetscCall(PetscStrncpy(e->name, custom ? "custom" : m->name, sizeof e->name));
  PetscCall(TextPrintf(&c->yaml, "  material: "));
  PetscCall(TextQuoted(&c->yaml, e->name));
  PetscCall(TextPrintf(&c->yaml, "\n"));

  PetscCall(GetText(c, s, "kind", custom ? NULL : m->kind, &kind));
  PetscCheck(kind, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: separator.kind is required with material: custom; allowed: single_ion, binary",
             c->file);
  PetscCheck(!strcmp(kind, "single_ion") || !strcmp(kind, "binary"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: kind '%s' is not allowed; allowed: single_ion, binary", c->label, kind);
  PetscCheck(custom || !strcmp(kind, m->kind), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: material %s is %s; a different kind needs material: custom (with all its parameters)", c->label, m->name, m->kind);
  e->kind = !strcmp(kind, "binary") ? ELECTROLYTE_BINARY : ELECTROLYTE_SINGLE_ION;
  PetscCall(TextPrintf(&c->yaml, "  kind: %s\n", kind));
  PetscCall(ReferenceTemperature(c, s, m, &T_ref));
  PetscCall(ResolveLayer(c, s, NULL, NULL, &p->region[REGION_SEPARATOR].layer));
  PetscCall(MaterialValue(c, s, m, T_ref, "density", "0", "kg/m^3", &e->density, &found));
  PetscCall(CheckRange(c, s, "density", e->density, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a density must be >= 0 (0 = unknown)"));

  if (e->kind == ELECTROLYTE_SINGLE_ION) {
    static const char *binary_only[] = {"diffusivity", "thermodynamic_factor", "cation_diffusivity", "anion_diffusivity"};
    for (size_t i = 0; i < sizeof binary_only / sizeof binary_only[0]; i++)
      PetscCheck(!Given(c, s, binary_only[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: separator.%s applies only to binary electrolytes; %s is single_ion (t+ = 1, Ohm's law only)", c->file, binary_only[i], e->name);
    PetscCall(RequireMaterialValue(c, s, m, T_ref, "conductivity", "S/m", &e->conductivity));
    PetscCall(MaterialValue(c, s, m, T_ref, "transference_number", "1", NULL, &e->transference, &found));
    PetscCall(CheckRange(c, s, "transference_number", e->transference, 1, PETSC_TRUE, 1, PETSC_TRUE, "a single-ion conductor has t+ = 1"));
    PetscCall(MaterialValue(c, s, m, T_ref, "conductivity_exponent", "0", NULL, &e->conductivity_exponent, &found));
    PetscCall(CheckRange(c, s, "conductivity_exponent", e->conductivity_exponent, 0, PETSC_TRUE, 0, PETSC_TRUE,
                         "a single-ion conductor has a constant conductivity (exponent 0)"));
    /* Only ratios c/c_ref of this value enter (the kinetics), so a custom
     * conductor without it gets a nominal 1000 mol/m^3. */
    PetscCall(MaterialValue(c, s, m, T_ref, "concentration", custom ? "1000 mol/m^3" : NULL, "mol/m^3", &e->concentration, &found));
    PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: separator.concentration is needed: material %s does not give it", c->file, e->name);
    e->diffusivity          = 0;
    e->thermodynamic_factor = 1;
  } else {
    const MaterialParam *mDp = MaterialGetParam(m, "cation_diffusivity"), *mDm = MaterialGetParam(m, "anion_diffusivity");
    hasDp = (PetscBool)(Given(c, s, "cation_diffusivity") || mDp);
    hasDm = (PetscBool)(Given(c, s, "anion_diffusivity") || mDm);
    PetscCheck(hasDp == hasDm, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: separator: cation_diffusivity and anion_diffusivity go together (the dilute Nernst-Planck form); give both or neither", c->file);
    PetscCall(RequireMaterialValue(c, s, m, T_ref, "concentration", "mol/m^3", &e->concentration));
    PetscCall(CheckRange(c, s, "concentration", e->concentration, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a concentration must be > 0"));
    if (hasDp) {
      static const char *direct[] = {"conductivity", "diffusivity", "transference_number", "thermodynamic_factor", "conductivity_exponent"};
      for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
        PetscCheck(!Given(c, s, direct[i]) && !MaterialGetParam(m, direct[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                   "%s: separator.%s cannot be given together with cation_diffusivity and anion_diffusivity (%s), which determine it; give one form",
                   c->file, direct[i], Given(c, s, direct[i]) ? "in the config" : "by the material");
      PetscCall(RequireMaterialValue(c, s, m, T_ref, "cation_diffusivity", "m^2/s", &Dp));
      PetscCall(CheckRange(c, s, "cation_diffusivity", Dp, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a diffusivity must be > 0"));
      PetscCall(RequireMaterialValue(c, s, m, T_ref, "anion_diffusivity", "m^2/s", &Dm));
      PetscCall(CheckRange(c, s, "anion_diffusivity", Dm, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a diffusivity must be > 0"));
      DiluteElectrolyte(Dp, Dm, c->T, e);
      PetscCall(YamlValue(c, "conductivity", e->conductivity, "S/m", "derived F^2 (D+ + D-) c / RT"));
      PetscCall(YamlValue(c, "diffusivity", e->diffusivity, "m^2/s", "derived 2 D+ D- / (D+ + D-)"));
      PetscCall(YamlValue(c, "transference_number", e->transference, NULL, "derived D+ / (D+ + D-)"));
      PetscCall(YamlValue(c, "conductivity_exponent", 1, NULL, "dilute"));
      PetscCall(YamlValue(c, "thermodynamic_factor", 1, NULL, "dilute"));
    } else {
      PetscCall(RequireMaterialValue(c, s, m, T_ref, "conductivity", "S/m", &e->conductivity));
      PetscCall(RequireMaterialValue(c, s, m, T_ref, "diffusivity", "m^2/s", &e->diffusivity));
      PetscCall(CheckRange(c, s, "diffusivity", e->diffusivity, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a diffusivity must be > 0"));
      PetscCall(RequireMaterialValue(c, s, m, T_ref, "transference_number", NULL, &e->transference));
      PetscCall(MaterialValue(c, s, m, T_ref, "thermodynamic_factor", "1", NULL, &e->thermodynamic_factor, &found));
      PetscCall(CheckRange(c, s, "thermodynamic_factor", e->thermodynamic_factor, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE,
                           "the thermodynamic factor must be > 0"));
      PetscCall(MaterialValue(c, s, m, T_ref, "conductivity_exponent", "0", NULL, &e->conductivity_exponent, &found));
      PetscCall(CheckRange(c, s, "conductivity_exponent", e->conductivity_exponent, 0, PETSC_TRUE, 4, PETSC_TRUE, "the exponent n lies in [0, 4]"));
    }
    PetscCall(CheckRange(c, s, "transference_number", e->transference, 0, PETSC_FALSE, 1, PETSC_TRUE, "t+ lies in (0, 1]"));
  }
  PetscCall(CheckRange(c, s, "conductivity", e->conductivity, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a conductivity must be > 0"));
  PetscCall(CheckRange(c, s, "concentration", e->concentration, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a concentration must be > 0"));
  PetscCall(ResolveFiller(c, e));
  PetscFunctionReturn(0);
}

/* An OCP given as a CSV of theta,voltage rows: comments (#) and one header
 * line are allowed; theta strictly ascending in [0, 1], voltages finite. The
 * file is read whole (ReadInputFile bounds it), so a line of any length is
 * one row and a device such as /dev/zero is refused before it is read. */
static PetscErrorCode ReadOcpRows(const char *path, char *text, ActiveMaterial *a)
{
  int       lineno         = 0;
  PetscInt  cap            = 0;
  PetscBool header_allowed = PETSC_TRUE;
  char     *line           = text, *next;

  PetscFunctionBeginUser;
  a->ocp_points = 0;
  for (; line && *line; line = next) {
    char     *s = line, *end;
    double    x, v = 0;
    PetscBool bad;

    next = strchr(line, '\n');
    if (next) *next++ = 0;
    lineno++;
    while (isspace((unsigned char)*s))
      s++;
    if (!*s || *s == '#') continue;
    x = strtod(s, &end);
    if (end == s && header_allowed) { /* a header row such as "stoichiometry,voltage" */
      header_allowed = PETSC_FALSE;
      continue;
    }
    header_allowed = PETSC_FALSE;
    bad            = (PetscBool)(end == s);
    if (!bad) {
      for (s = end; isspace((unsigned char)*s); s++) {
      }
      bad = (PetscBool)(*s != ',');
    }
    if (!bad) {
      s++;
      v   = strtod(s, &end);
      bad = (PetscBool)(end == s);
      for (; !bad && isspace((unsigned char)*end); end++) {
      }
      bad = (PetscBool)(bad || *end);
    }
    PetscCheck(!bad, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: expected a row 'stoichiometry,voltage' of two numbers, got: %.80s", path, lineno,
               line);
    PetscCheck(x >= 0 && x <= 1 && (!a->ocp_points || x > a->ocp_theta[a->ocp_points - 1]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s:%d: the stoichiometry of the row '%.80s' must lie in [0, 1], and rows must be sorted by strictly ascending stoichiometry", path,
               lineno, line);
    PetscCheck(!PetscIsInfOrNanReal(v), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: the voltage of the row '%.80s' is not a finite number", path,
               lineno, line);
    if (a->ocp_points == cap) {
      PetscReal *theta, *voltage;
      cap   = cap ? 2 * cap : 64;
      theta = (PetscReal *)realloc(a->ocp_theta, sizeof(PetscReal) * (size_t)cap);
      if (theta) a->ocp_theta = theta;
      voltage = (PetscReal *)realloc(a->ocp_voltage, sizeof(PetscReal) * (size_t)cap);
      if (voltage) a->ocp_voltage = voltage;
      PetscCheck(theta && voltage, PETSC_COMM_SELF, PETSC_ERR_MEM, "%s: out of memory reading the OCP table", path);
    }
    a->ocp_theta[a->ocp_points]   = x;
    a->ocp_voltage[a->ocp_points] = v;
    a->ocp_points++;
  }
  PetscCheck(a->ocp_points >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: an OCP table needs at least 2 rows of stoichiometry,voltage (found %d)", path, lineno, (int)a->ocp_points);
  PetscFunctionReturn(0);
}

/* The arrays end up in Params, which ParamsDestroy frees, also on an error.
 * A file that cannot be read is reported at the key that names it. */
static PetscErrorCode ReadOcpTable(const char *path, const char *where, ActiveMaterial *a)
{
  char          *text;
  size_t         len;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = ReadInputFile(path, INPUT_FILE_MAX_BYTES, &text, &len);
  PetscCall(PetscPopErrorHandler());
  if (ierr) {
    char        reason[1024] = "";
    char       *specific     = NULL;
    const char *generic      = NULL;
    PetscErrorMessage(ierr, &generic, &specific);
    if (specific) PetscCall(PetscStrncpy(reason, specific, sizeof reason));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the OCP table %s", where, reason);
  }
  if (strlen(text) != len) {
    free(text);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: an OCP table is a text file, but this one holds a zero byte", path);
  }
  ierr = ReadOcpRows(path, text, a);
  free(text);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

static PetscErrorCode ResolveOcp(Config *c, const MaterialRecord *m, ActiveMaterial *a)
{
  const char          *text;
  const MaterialParam *mp = MaterialGetParam(m, "ocp");
  char                 dir[PETSC_MAX_PATH_LEN], path[PETSC_MAX_PATH_LEN], where[PETSC_MAX_PATH_LEN + 256];
  size_t               n;
  PetscBool            from_config = Given(c, "cathode", "ocp");

  PetscFunctionBeginUser;
  PetscCall(GetText(c, "cathode", "ocp", mp ? mp->text : NULL, &text));
  PetscCall(PetscStrncpy(where, c->label, sizeof where));
  PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: cathode.ocp is needed: material %s gives none; allowed: NMC811, LCO, NMC532, LFP, a voltage (3.7 V) or a CSV file", c->file,
             m ? m->name : "custom");
  n = strlen(text);
  if (OcpModelFind(text, &a->ocp)) {
    /* a built-in fit of material.c */
  } else if ((n > 4 && !strcasecmp(text + n - 4, ".csv")) || strchr(text, '/')) {
    /* Relative paths are relative to the file that names them. */
    PetscCall(PetscStrncpy(dir, from_config ? c->file : m->file, sizeof dir));
    if (text[0] == '/')
      PetscCall(PetscStrncpy(path, text, sizeof path));
    else
      PetscCall(PetscSNPrintf(path, sizeof path, "%s/%s", dirname(dir), text));
    a->ocp = OCP_TABLE;
    PetscCall(AddInput(c->params, path));
    PetscCall(ReadOcpTable(path, where, a));
  } else {
    PetscErrorCode ierr;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = UnitsParse(text, "voltage", where, &a->ocp_value);
    PetscCall(PetscPopErrorHandler());
    PetscCheck(
        !ierr, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
        "%s: ocp '%s' is not allowed; give a built-in fit (NMC811, LCO, NMC532, LFP), a voltage (3.7 V) or a CSV file of stoichiometry,voltage rows",
        where, text);
    a->ocp = OCP_CONSTANT;
  }
  PetscCall(TextPrintf(&c->yaml, "  ocp: "));
  PetscCall(TextQuoted(&c->yaml, text));
  PetscCall(TextPrintf(&c->yaml, "  # %s\n", OcpModels[a->ocp]));
  PetscFunctionReturn(0);
}

/* The cathode's active material: a library material, or `custom` with every
 * parameter from the config (a published cell's parameter table). */
static PetscErrorCode ResolveActive(Config *c, Params *p, const char *thickness, const char *cells)
{
  ActiveMaterial       *a = &p->region[REGION_CATHODE].active;
  const char           *name, *s = "cathode";
  const MaterialRecord *m = NULL;
  PetscReal             T_ref;
  PetscBool             found;

  PetscFunctionBeginUser;
  PetscCall(GetText(c, s, "material", "NMC811", &name));
  if (strcmp(name, "custom")) PetscCall(LibraryFind(&c->lib, name, "active", c->label, &m));
  PetscCall(PetscStrncpy(a->name, m ? m->name : "custom", sizeof a->name));
  PetscCall(TextPrintf(&c->yaml, "  material: "));
  PetscCall(TextQuoted(&c->yaml, a->name));
  PetscCall(TextPrintf(&c->yaml, "\n"));
  PetscCall(ReferenceTemperature(c, s, m, &T_ref));
  PetscCall(ResolveLayer(c, s, thickness, cells, &p->region[REGION_CATHODE].layer));
  PetscCall(RequireMaterialValue(c, s, m, T_ref, "max_concentration", "mol/m^3", &a->max_concentration));
  PetscCall(CheckRange(c, s, "max_concentration", a->max_concentration, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "c_s,max must be > 0"));
  PetscCall(RequireMaterialValue(c, s, m, T_ref, "diffusivity", "m^2/s", &a->diffusivity));
  PetscCall(CheckRange(c, s, "diffusivity", a->diffusivity, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a diffusivity must be > 0"));
  PetscCall(RequireMaterialValue(c, s, m, T_ref, "conductivity", "S/m", &a->conductivity));
  PetscCall(CheckRange(c, s, "conductivity", a->conductivity, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a conductivity must be > 0"));
  PetscCall(RequireMaterialValue(c, s, m, T_ref, "stoichiometry_min", NULL, &a->theta_min));
  PetscCall(CheckRange(c, s, "stoichiometry_min", a->theta_min, 0, PETSC_FALSE, 1, PETSC_FALSE, "a stoichiometry lies in (0, 1)"));
  PetscCall(RequireMaterialValue(c, s, m, T_ref, "stoichiometry_max", NULL, &a->theta_max));
  PetscCall(CheckRange(c, s, "stoichiometry_max", a->theta_max, a->theta_min, PETSC_FALSE, 1, PETSC_FALSE,
                       "a stoichiometry lies in (0, 1) and stoichiometry_max must exceed stoichiometry_min"));
  {
    char fallback[32];
    PetscCall(PetscSNPrintf(fallback, sizeof fallback, "%.17g", (double)a->theta_min));
    PetscCall(MaterialValue(c, s, m, T_ref, "initial_stoichiometry", fallback, NULL, &a->theta_initial, &found));
  }
  PetscCall(CheckRange(c, s, "initial_stoichiometry", a->theta_initial, 0, PETSC_FALSE, 1, PETSC_FALSE, "a stoichiometry lies in (0, 1)"));
  PetscCall(MaterialValue(c, s, m, T_ref, "density", "0", "kg/m^3", &a->density, &found));
  PetscCall(CheckRange(c, s, "density", a->density, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a density must be >= 0 (0 = unknown)"));
  PetscCall(ResolveOcp(c, m, a));
  if (a->ocp == OCP_TABLE) {
    const PetscReal lo = PetscMin(a->theta_min, a->theta_initial), hi = PetscMax(a->theta_max, a->theta_initial);
    PetscCheck(a->ocp_theta[0] <= lo && a->ocp_theta[a->ocp_points - 1] >= hi, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: cathode.ocp: the table covers stoichiometry %g to %g, but the cell runs from %g to %g (stoichiometry_min, stoichiometry_max, "
               "initial_stoichiometry); extend the table or narrow the window",
               c->file, (double)a->ocp_theta[0], (double)a->ocp_theta[a->ocp_points - 1], (double)lo, (double)hi);
  }
  PetscCall(ResolveKinetics(c, s, m, T_ref, NULL, "true", &p->region[REGION_CATHODE].kinetics));
  p->region[REGION_CATHODE].conductivity = a->conductivity;
  PetscFunctionReturn(0);
}

/* An electrolyte from the library alone, at the run temperature: the one in
 * a composite's pores when cathode.electrolyte names another material than
 * the separator's. */
static PetscErrorCode ResolveLibraryElectrolyte(Config *c, const MaterialRecord *m, Electrolyte *e)
{
  static const char *const keys[] = {"conductivity",          "concentration",       "density",
                                     "diffusivity",           "transference_number", "thermodynamic_factor",
                                     "conductivity_exponent", "cation_diffusivity",  "anion_diffusivity"};
  PetscReal                v[9]   = {0, 0, 0, 0, 1, 1, 0, 0, 0};
  PetscBool                has[9];

  PetscFunctionBeginUser;
  for (int k = 0; k < 9; k++) {
    const MaterialParam *mp = MaterialGetParam(m, keys[k]);
    has[k]                  = (PetscBool)(mp != NULL);
    if (mp) v[k] = MaterialLawValue(m, keys[k], PETSC_FALSE, mp->value, mp->activation_energy, m->reference_temperature, c->T);
    if (mp) PetscCall(MaterialRangeCheck(c->comm, m, "cathode.electrolyte", keys[k], PETSC_FALSE, c->T));
  }
  PetscCall(PetscMemzero(e, sizeof *e));
  PetscCall(PetscStrncpy(e->name, m->name, sizeof e->name));
  e->kind                  = !strcmp(m->kind, "binary") ? ELECTROLYTE_BINARY : ELECTROLYTE_SINGLE_ION;
  e->concentration         = v[1];
  e->density               = v[2];
  e->conductivity          = v[0];
  e->diffusivity           = v[3];
  e->transference          = e->kind == ELECTROLYTE_BINARY ? v[4] : 1.0;
  e->thermodynamic_factor  = v[5];
  e->conductivity_exponent = v[6];
  if (has[7] && has[8]) DiluteElectrolyte(v[7], v[8], c->T, e);
  PetscCheck(e->conductivity > 0 && e->concentration > 0 && (e->kind != ELECTROLYTE_BINARY || e->diffusivity > 0), PETSC_COMM_SELF,
             PETSC_ERR_USER_INPUT, "%s: cathode.electrolyte %s lacks a conductivity, concentration or (binary) diffusivity in %s", c->file, m->name,
             m->file);
  PetscFunctionReturn(0);
}

/* The composite's fractions, particles and pore electrolyte (SPEC 2.3). */
static PetscErrorCode ResolveComposite(Config *c, Params *p)
{
  Region     *r       = &p->region[REGION_CATHODE];
  Composite  *q       = &r->composite;
  const char *s       = "cathode", *name;
  Profile    *f[3]    = {&q->active_fraction, &q->electrolyte_fraction, &q->carbon_fraction};
  const char *keys[3] = {"active_fraction", "electrolyte_fraction", "carbon_fraction"};
  PetscBool   found;

  PetscFunctionBeginUser;
  for (int k = 0; k < 3; k++) {
    PetscCall(GetProfile(c, s, keys[k], f[k]));
    PetscCheck(f[k]->separator_side >= 0 && f[k]->separator_side <= 1 && f[k]->collector_side >= 0 && f[k]->collector_side <= 1, PETSC_COMM_SELF,
               PETSC_ERR_USER_INPUT, "%s: a volume fraction lies in [0, 1], got %g .. %g", c->label, (double)f[k]->separator_side,
               (double)f[k]->collector_side);
    PetscCall(TextPrintf(&c->yaml, "  %s: {separator_side: %.10g, collector_side: %.10g}\n", keys[k], (double)f[k]->separator_side,
                         (double)f[k]->collector_side));
  }
  for (int end = 0; end < 2; end++) {
    const PetscReal am = end ? q->active_fraction.collector_side : q->active_fraction.separator_side;
    const PetscReal el = end ? q->electrolyte_fraction.collector_side : q->electrolyte_fraction.separator_side;
    const PetscReal cb = end ? q->carbon_fraction.collector_side : q->carbon_fraction.separator_side;
    PetscCheck(
        am + el + cb <= 1 + 1e-12, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
        "%s: cathode.active_fraction + electrolyte_fraction + carbon_fraction = %g on the %s side; the fractions may sum to at most 1 (the rest is "
        "void)",
        c->file, (double)(am + el + cb), end ? "collector" : "separator");
    PetscCheck(am > 0 && el > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: a composite needs active material and electrolyte everywhere: active_fraction %g, electrolyte_fraction %g on the %s side",
               c->file, (double)am, (double)el, end ? "collector" : "separator");
  }
  PetscCall(GetProfile(c, s, "particle_radius", &q->particle_radius));
  PetscCheck(q->particle_radius.separator_side > 0 && q->particle_radius.collector_side > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a particle radius must be > 0, e.g. 5 um", c->label);
  PetscCheck(2 * PetscMax(q->particle_radius.separator_side, q->particle_radius.collector_side) <= r->layer.thickness, PETSC_COMM_SELF,
             PETSC_ERR_USER_INPUT, "%s: a particle of radius %g um does not fit in the %g um cathode (a bare number is in metres: write 5 um)",
             c->label, (double)(PetscMax(q->particle_radius.separator_side, q->particle_radius.collector_side) * 1e6),
             (double)(r->layer.thickness * 1e6));
  PetscCall(TextPrintf(&c->yaml, "  particle_radius: {separator_side: %.10g, collector_side: %.10g}  # m\n",
                       (double)q->particle_radius.separator_side, (double)q->particle_radius.collector_side));
  PetscCall(GetReal(c, s, "bruggeman", NULL, &q->bruggeman, NULL));
  PetscCall(CheckRange(c, s, "bruggeman", q->bruggeman, 1, PETSC_TRUE, 10, PETSC_TRUE, "the Bruggeman exponent lies in [1, 10] (1.5 for spheres)"));
  PetscCall(GetReal(c, s, "tortuosity", NULL, &q->tortuosity, &found));
  if (!found) q->tortuosity = 0;
  PetscCheck(!found || !Given(c, s, "bruggeman"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: give cathode.bruggeman or cathode.tortuosity, not both: each sets the effective transport", c->file);
  if (found) PetscCall(CheckRange(c, s, "tortuosity", q->tortuosity, 1, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a tortuosity is >= 1"));
  PetscCall(YamlValue(c, "bruggeman", q->bruggeman, NULL, found ? "unused: tortuosity given" : NULL));
  if (found) PetscCall(YamlValue(c, "tortuosity", q->tortuosity, NULL, NULL));
  PetscCall(GetInt(c, s, "shells", NULL, &q->shells));
  PetscCall(CheckRange(c, s, "shells", (PetscReal)q->shells, 2, PETSC_TRUE, 1000, PETSC_TRUE, "a particle needs 2 to 1000 radial shells"));
  PetscCall(TextPrintf(&c->yaml, "  shells: %d\n", (int)q->shells));
  PetscCall(GetReal(c, s, "shell_grading", NULL, &q->shell_grading, NULL));
  PetscCall(
      CheckRange(c, s, "shell_grading", q->shell_grading, 1, PETSC_TRUE, 1e6, PETSC_TRUE, "the shell grading ratio must be >= 1 (1 = uniform)"));
  PetscCall(YamlValue(c, "shell_grading", q->shell_grading, NULL, NULL));
  PetscCall(GetReal(c, s, "contact_fraction", NULL, &q->contact_fraction, NULL));
  PetscCall(CheckRange(c, s, "contact_fraction", q->contact_fraction, 0, PETSC_FALSE, 1, PETSC_TRUE, "a contact fraction lies in (0, 1]"));
  PetscCall(YamlValue(c, "contact_fraction", q->contact_fraction, NULL, NULL));
  PetscCall(GetReal(c, s, "carbon_conductivity", NULL, &q->carbon_conductivity, NULL));
  PetscCall(
      CheckRange(c, s, "carbon_conductivity", q->carbon_conductivity, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a conductivity must be >= 0"));
  PetscCall(YamlValue(c, "carbon_conductivity", q->carbon_conductivity, "S/m", NULL));
  PetscCall(GetReal(c, s, "carbon_density", NULL, &q->carbon_density, NULL));
  PetscCall(CheckRange(c, s, "carbon_density", q->carbon_density, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a density must be >= 0"));
  PetscCall(YamlValue(c, "carbon_density", q->carbon_density, "kg/m^3", NULL));

  /* the pore electrolyte: the separator's own (with its overrides), or another library material of the same kind */
  PetscCall(GetText(c, s, "electrolyte", p->region[REGION_SEPARATOR].electrolyte.name, &name));
  if (!strcmp(name, p->region[REGION_SEPARATOR].electrolyte.name))
    r->electrolyte = p->region[REGION_SEPARATOR].electrolyte;
  else {
    const MaterialRecord *m;
    PetscCall(LibraryFind(&c->lib, name, "electrolyte", c->label, &m));
    PetscCall(ResolveLibraryElectrolyte(c, m, &r->electrolyte));
  }
  PetscCheck(r->electrolyte.kind == p->region[REGION_SEPARATOR].electrolyte.kind, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: cathode.electrolyte %s is %s but the separator %s is %s; the pores and the membrane must carry the same kind of electrolyte",
             c->file, r->electrolyte.name, ElectrolyteKinds[r->electrolyte.kind], p->region[REGION_SEPARATOR].electrolyte.name,
             ElectrolyteKinds[p->region[REGION_SEPARATOR].electrolyte.kind]);
  PetscCall(TextPrintf(&c->yaml, "  electrolyte: "));
  PetscCall(TextQuoted(&c->yaml, r->electrolyte.name));
  PetscCall(TextPrintf(&c->yaml, "\n"));
  PetscFunctionReturn(0);
}

static PetscErrorCode ResolveCathode(Config *c, Params *p)
{
  const char *model;

  PetscFunctionBeginUser;
  PetscCall(GetText(c, "cathode", "model", NULL, &model));
  if (!strcmp(model, "active"))
    p->cathode_model = CATHODE_ACTIVE;
  else if (!strcmp(model, "composite"))
    p->cathode_model = CATHODE_COMPOSITE;
  else if (!strcmp(model, "lithium"))
    p->cathode_model = CATHODE_LITHIUM;
  else
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: model '%s' is not allowed; allowed: composite, active, lithium", c->label, model);
  for (size_t i = 0; i < ConfigSchemaSize; i++)
    PetscCheck(!(ConfigSchema[i].flags & F_COMPOSITE) || p->cathode_model == CATHODE_COMPOSITE || !Given(c, "cathode", ConfigSchema[i].key),
               PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cathode.%s applies only to cathode model composite, not %s", c->file, ConfigSchema[i].key,
               model);
  if (p->cathode_model == CATHODE_LITHIUM) {
    for (size_t i = 0; i < ConfigSchemaSize; i++)
      PetscCheck(!(ConfigSchema[i].flags & F_ACTIVE) || strcmp(ConfigSchema[i].section, "cathode") || !Given(c, "cathode", ConfigSchema[i].key),
                 PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cathode.%s applies only to cathode model active, not to a lithium cathode", c->file,
                 ConfigSchema[i].key);
    Region *r = &p->region[REGION_CATHODE];
    PetscCall(ResolveLithium(c, "cathode", &r->layer, &r->kinetics, &r->conductivity, &r->density));
    PetscCall(TextPrintf(&c->yaml, "  model: lithium\n"));
    r->phase = PHASE_LITHIUM;
  } else {
    const PetscBool composite = (PetscBool)(p->cathode_model == CATHODE_COMPOSITE);
    PetscCall(TextPrintf(&c->yaml, "cathode:\n  model: %s\n", CathodeModels[p->cathode_model]));
    PetscCall(ResolveActive(c, p, composite ? "50 um" : "3 um", composite ? "30" : "20"));
    p->region[REGION_CATHODE].phase = composite ? PHASE_COMPOSITE : PHASE_ACTIVE;
    if (composite) PetscCall(ResolveComposite(c, p));
  }
  PetscFunctionReturn(0);
}

/* The keys of each generator (the first entry: the file), so that a key
 * of another one is refused by name instead of silently ignored. */
static const char *const GeneratorKeys[GENERATOR_COUNT][4] = {
    [GENERATOR_NONE]       = {"labels"},
    [GENERATOR_SINUSOIDAL] = {"amplitude", "wavelength"},
    [GENERATOR_ROUGH]      = {"rms", "correlation_length", "seed"},
    [GENERATOR_VOIDS]      = {"contact_fraction", "void_depth", "void_count"},
    [GENERATOR_PARTICLES]  = {"particle_fraction", "particle_radius", "radius_spread", "seed"},
};

static PetscBool GeneratorUses(GeneratorKind g, const char *key)
{
  for (int k = 0; k < 4 && GeneratorKeys[g][k]; k++)
    if (!strcmp(GeneratorKeys[g][k], key)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* mesh.labels: {label: phase, ...} over the default labels (SPEC 4.3). */
static PetscErrorCode ResolveLabels(Config *c, Params *p)
{
  const char     *text;
  yaml_document_t doc;
  yaml_node_t    *root;
  char            where[sizeof c->label];

  PetscFunctionBeginUser;
  for (PetscInt l = 0; l < PHASE_MAP_LABELS; l++)
    p->phase_labels[l] = l < PHASE_COUNT ? l : -1;
  if (!Given(c, "mesh", "labels")) PetscFunctionReturn(0);
  PetscCall(GetText(c, "mesh", "labels", NULL, &text));
  PetscCall(PetscStrncpy(where, c->label, sizeof where));
  PetscCall(YamlLoadString(text, where, &doc));
  root = yaml_document_get_root_node(&doc);
  if (!root || root->type != YAML_MAPPING_NODE) {
    yaml_document_delete(&doc);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is not a mapping of labels to phases; write e.g. {0: void, 7: electrolyte}", where,
            text);
  }
  PetscCall(TextPrintf(&c->yaml, "  labels: {"));
  for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top; q++) {
    const char *k = YamlScalar(yaml_document_get_node(&doc, q->key)), *v = YamlScalar(yaml_document_get_node(&doc, q->value));
    char       *end   = NULL;
    long        label = k ? strtol(k, &end, 10) : -1;
    PetscInt    phase = -1;
    for (PetscInt f = 0; v && f < PHASE_COUNT; f++)
      if (!strcmp(v, PhaseNames[f])) phase = f;
    if (!k || !end || *end || label < 0 || label >= PHASE_MAP_LABELS || phase < 0) {
      char bad[256];
      PetscCall(PetscSNPrintf(bad, sizeof bad, "%s: %s", k ? k : "?", v ? v : "?"));
      yaml_document_delete(&doc);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
              "%s: '%s' is not a label and a phase; labels are integers 0 to %d, phases void, lithium, electrolyte, active, composite, collector",
              where, bad, PHASE_MAP_LABELS - 1);
    }
    p->phase_labels[label] = phase;
    PetscCall(TextPrintf(&c->yaml, "%s%ld: %s", q > root->data.mapping.pairs.start ? ", " : "", label, PhaseNames[phase]));
  }
  yaml_document_delete(&doc);
  PetscCall(TextPrintf(&c->yaml, "}\n"));
  PetscFunctionReturn(0);
}

/* mesh.* of a 2D stack (SPEC 4.3, docs/phasemaps.md): its lateral size,
 * cells and walls, and a phase-map file or a generator with its keys. With
 * a file the layers' geometry is the map's, so thickness, cells and grading
 * are refused; a generator takes the layer thicknesses and meshes them with
 * square-ish cells, so cells and grading are refused. */
static PetscErrorCode ResolveMesh2d(Config *c, Params *p)
{
  static const char *const layers[3] = {"anode", "separator", "cathode"};
  PhaseMapGenerator       *g         = &p->mesh2d;
  const char              *text;
  PetscBool                file = Given(c, "mesh", "phase_map"), gen = Given(c, "mesh", "generator");

  PetscFunctionBeginUser;
  PetscCheck(file != gen, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a 2D mesh needs %s: mesh.phase_map (a PGM or HDF5 file) or mesh.generator (flat, sinusoidal, rough, voids, particles)", c->file,
             file ? "one of its two sources, not both" : "a phase map");
  for (int r = 0; r < 3; r++) {
    PetscCheck(!Given(c, layers[r], "cells") && !Given(c, layers[r], "grading"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: %s.%s has no meaning on a 2D mesh: its cells are square, of side mesh.lateral_size / mesh.lateral_cells; remove it", c->file,
               layers[r], Given(c, layers[r], "cells") ? "cells" : "grading");
    PetscCheck(!file || !Given(c, layers[r], "thickness"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: %s.thickness has no meaning with mesh.phase_map: the map gives the layers' geometry; remove it", c->file, layers[r]);
  }
  PetscCall(GetReal(c, "mesh", "lateral_size", NULL, &g->lateral_size, NULL));
  PetscCheck(Given(c, "mesh", "lateral_size"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a 2D mesh needs mesh.lateral_size, e.g. 20 um", c->file);
  PetscCall(CheckRange(c, "mesh", "lateral_size", g->lateral_size, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a size must be > 0, e.g. 20 um"));
  PetscCall(YamlValue(c, "lateral_size", g->lateral_size, "m", NULL));
  PetscCall(GetText(c, "mesh", "lateral_boundary", NULL, &text));
  PetscCheck(!strcmp(text, "periodic") || !strcmp(text, "zero_flux"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: lateral_boundary '%s' is not allowed; allowed: zero_flux, periodic", c->label, text);
  g->periodic = (PetscBool)!strcmp(text, "periodic");
  PetscCall(TextPrintf(&c->yaml, "  lateral_boundary: %s\n", text));
  g->cathode_phase = p->region[REGION_CATHODE].phase;
  for (int r = 0; r < 3; r++)
    g->thickness[r] = p->region[r].layer.thickness;
  if (file) {
    char dir[PETSC_MAX_PATH_LEN];
    PetscCheck(!Given(c, "mesh", "lateral_cells"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: mesh.lateral_cells has no meaning with mesh.phase_map: the map's rows are the lateral cells; remove it", c->file);
    g->kind = GENERATOR_NONE;
    PetscCall(GetText(c, "mesh", "phase_map", NULL, &text));
    PetscCall(PetscStrncpy(dir, c->file, sizeof dir));
    if (text[0] == '/')
      PetscCall(PetscStrncpy(p->phase_map, text, sizeof p->phase_map));
    else
      PetscCall(PetscSNPrintf(p->phase_map, sizeof p->phase_map, "%s/%s", dirname(dir), text));
    {
      char path[PETSC_MAX_PATH_LEN], *colon;
      PetscCall(PetscStrncpy(path, p->phase_map, sizeof path));
      if ((colon = strstr(path, ".h5:"))) colon[3] = '\0'; /* FILE.h5:/dataset: the file is an input */
      PetscCall(AddInput(p, path));
    }
    PetscCall(TextPrintf(&c->yaml, "  phase_map: %s\n", p->phase_map));
    PetscCall(ResolveLabels(c, p));
  } else {
    PetscInt kind = -1;
    PetscCall(GetText(c, "mesh", "generator", NULL, &text));
    for (PetscInt k = GENERATOR_FLAT; k < GENERATOR_COUNT; k++)
      if (!strcmp(text, GeneratorKinds[k])) kind = k;
    PetscCheck(kind > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: generator '%s' is not allowed; allowed: flat, sinusoidal, rough, voids, particles", c->label, text);
    g->kind = (GeneratorKind)kind;
    PetscCall(TextPrintf(&c->yaml, "  generator: %s\n", text));
    PetscCall(GetInt(c, "mesh", "lateral_cells", NULL, &g->lateral_cells));
    PetscCall(CheckRange(c, "mesh", "lateral_cells", (PetscReal)g->lateral_cells, 1, PETSC_TRUE, 1 << 16, PETSC_TRUE, "from 1 to 65536 cells"));
    PetscCall(TextPrintf(&c->yaml, "  lateral_cells: %d\n", (int)g->lateral_cells));
    PetscCall(GetReal(c, "mesh", "amplitude", NULL, &g->amplitude, NULL));
    PetscCall(GetReal(c, "mesh", "wavelength", NULL, &g->wavelength, NULL));
    PetscCall(GetReal(c, "mesh", "rms", NULL, &g->rms, NULL));
    PetscCall(GetReal(c, "mesh", "correlation_length", NULL, &g->correlation_length, NULL));
    PetscCall(GetInt(c, "mesh", "seed", NULL, &g->seed));
    PetscCall(GetReal(c, "mesh", "contact_fraction", NULL, &g->contact_fraction, NULL));
    PetscCall(GetReal(c, "mesh", "void_depth", NULL, &g->void_depth, NULL));
    PetscCall(GetInt(c, "mesh", "void_count", NULL, &g->void_count));
    PetscCall(GetReal(c, "mesh", "particle_fraction", NULL, &g->particle_fraction, NULL));
    PetscCall(GetReal(c, "mesh", "particle_radius", NULL, &g->particle_radius, NULL));
    PetscCall(GetReal(c, "mesh", "radius_spread", NULL, &g->radius_spread, NULL));
    if (!Given(c, "mesh", "wavelength")) g->wavelength = g->lateral_size;
    if (!Given(c, "mesh", "correlation_length")) g->correlation_length = g->lateral_size / 8;
    if (!Given(c, "mesh", "void_depth")) g->void_depth = 0.25 * g->thickness[0];
    {
      const struct {
        const char *key;
        PetscReal   value;
        const char *units;
      } shown[] = {
          {"amplitude", g->amplitude, "m"},
          {"wavelength", g->wavelength, "m"},
          {"rms", g->rms, "m"},
          {"correlation_length", g->correlation_length, "m"},
          {"seed", (PetscReal)g->seed, NULL},
          {"contact_fraction", g->contact_fraction, NULL},
          {"void_depth", g->void_depth, "m"},
          {"void_count", (PetscReal)g->void_count, NULL},
          {"particle_fraction", g->particle_fraction, NULL},
          {"particle_radius", g->particle_radius, "m"},
          {"radius_spread", g->radius_spread, "m"},
      };
      for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (GeneratorUses(g->kind, shown[i].key)) PetscCall(YamlValue(c, shown[i].key, shown[i].value, shown[i].units, NULL));
    }
  }
  for (size_t i = 0; i < ConfigSchemaSize; i++) {
    const SchemaKey *k   = &ConfigSchema[i];
    PetscBool        any = PETSC_FALSE;
    if (strcmp(k->section, "mesh") || !Given(c, "mesh", k->key)) continue;
    for (int gk = 0; gk < GENERATOR_COUNT; gk++)
      any = (PetscBool)(any || GeneratorUses((GeneratorKind)gk, k->key));
    PetscCheck(!any || GeneratorUses(g->kind, k->key), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: mesh.%s has no effect with %s; remove it", c->file,
               k->key, g->kind == GENERATOR_NONE ? "mesh.phase_map" : (g->kind == GENERATOR_FLAT ? "generator flat" : "this generator"));
  }
  PetscFunctionReturn(0);
}

/* A current collector of the stack mass model: its material from the
 * library (phase collector), its thickness and density. */
static PetscErrorCode ResolveCollector(Config *c, const char *key, Collector *col)
{
  const char           *name;
  const MaterialRecord *m = NULL;
  char                  tkey[64], dkey[64];
  PetscBool             found;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(tkey, sizeof tkey, "%s_thickness", key));
  PetscCall(PetscSNPrintf(dkey, sizeof dkey, "%s_density", key));
  if (!strcmp(key, "anode_collector")) PetscCall(TextPrintf(&c->yaml, "stack:\n"));
  PetscCall(GetText(c, "stack", key, NULL, &name));
  PetscCall(GetReal(c, "stack", tkey, NULL, &col->thickness, NULL));
  PetscCall(CheckRange(c, "stack", tkey, col->thickness, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a thickness must be >= 0 (0: no collector)"));
  PetscCall(GetReal(c, "stack", dkey, NULL, &col->density, &found));
  if (!found) {
    const MaterialParam *mp;
    PetscCall(LibraryFind(&c->lib, name, "collector", c->label, &m));
    mp = MaterialGetParam(m, "density");
    PetscCheck(mp, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: stack.%s: material %s gives no density; set stack.%s", c->file, key, m->name, dkey);
    col->density = mp->value;
  }
  PetscCall(CheckRange(c, "stack", dkey, col->density, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "a density must be >= 0"));
  PetscCall(PetscStrncpy(col->material, m ? m->name : name, sizeof col->material));
  PetscCall(TextPrintf(&c->yaml, "  %s: ", key));
  PetscCall(TextQuoted(&c->yaml, col->material));
  PetscCall(TextPrintf(&c->yaml, "\n"));
  PetscCall(YamlValue(c, tkey, col->thickness, "m", NULL));
  PetscCall(YamlValue(c, dkey, col->density, "kg/m^3", found ? "config" : "material"));
  PetscFunctionReturn(0);
}

/* A positive, finite number that fills all of s: the C-rate parts. */
static PetscBool PositiveNumber(const char *s, PetscReal *v)
{
  char *end;

  errno = 0;
  *v    = strtod(s, &end);
  return (PetscBool)(end != s && !*end && errno != ERANGE && PetscIsNormalReal(*v) && *v > 0);
}

/* "1C", "0.5 C", "C/3" are C-rates (1/h); anything else is a current density.
 * Every current is finite and > 0: C/inf or nan would mean no current, and
 * 1e400 mA/cm^2 an infinite one. */
/* The C-rate form of a current (C/3, 0.5C, 1 C): 0 when text is not one, 1
 * with *rate in 1/h, -1 when it has the form but no finite rate > 0. */
static int CRateForm(const char *text, PetscReal *rate)
{
  char   compact[128];
  size_t n = 0;

  for (const char *s = text; *s; s++) {
    if (isspace((unsigned char)*s)) continue;
    if (n == sizeof compact - 1) return 0;
    compact[n++] = *s;
  }
  compact[n] = 0;
  *rate      = 0;
  if ((compact[0] == 'C' || compact[0] == 'c') && compact[1] == '/') {
    PetscReal d;
    if (!PositiveNumber(compact + 2, &d) || !PetscIsNormalReal(1.0 / d)) return -1;
    *rate = 1.0 / d;
    return 1;
  }
  if (n > 1 && (compact[n - 1] == 'C' || compact[n - 1] == 'c')) {
    compact[n - 1] = 0;
    return PositiveNumber(compact, rate) ? 1 : -1;
  }
  return 0;
}

PetscBool ConfigCRate(const char *text, PetscReal *rate)
{
  return (PetscBool)(CRateForm(text, rate) == 1);
}

static PetscErrorCode ParseCurrent(const char *text, const char *where, PetscReal *current, PetscReal *c_rate)
{
  const int form = CRateForm(text, c_rate);

  PetscFunctionBeginUser;
  *current = 0;
  PetscCheck(form >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot read the C-rate '%s'; write e.g. 1C, 0.5C or C/3 (a finite rate > 0)",
             where, text);
  if (form == 0) {
    PetscCheck(strlen(text) < 128, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the current '%s' is too long", where, text);
    PetscCall(UnitsParse(text, "current_density", where, current));
    PetscCheck(*current > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the current '%s' must be > 0 (the step kind gives the direction)", where,
               text);
  }
  PetscFunctionReturn(0);
}

/* discharge|charge at <I> [until <V>] [for <t>]; rest for <t>;
 * hold at <V> [until <I>] [for <t>]. Keywords are case-insensitive. */
static PetscErrorCode ParseStep(Params *p, const char *text, const char *origin, ProtocolStep *st)
{
  char        buf[256], where[PETSC_MAX_PATH_LEN + 320], *save = NULL;
  char       *tok[64], *clause[3] = {NULL, NULL, NULL};
  const char *kw[3] = {"at", "until", "for"};
  char        value[3][128];
  int         ntok = 0, cur = -1;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(where, sizeof where, "%s: protocol step '%s'", origin, text));
  PetscCheck(strlen(text) < sizeof st->text && strlen(text) < sizeof buf, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a step is at most 255 characters", where);
  PetscCall(PetscStrncpy(st->text, text, sizeof st->text));
  PetscCall(PetscStrncpy(buf, text, sizeof buf));
  for (char *s = strtok_r(buf, " \t\r\n", &save); s; s = strtok_r(NULL, " \t\r\n", &save)) {
    PetscCheck(ntok < (int)(sizeof tok / sizeof tok[0]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a step has at most %d words", where,
               (int)(sizeof tok / sizeof tok[0]));
    tok[ntok++] = s;
  }
  PetscCheck(ntok > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: empty step; write e.g. 'discharge at 1C until 3.0 V'", where);
  for (int i = 0; i < 3; i++)
    value[i][0] = 0;
  for (int i = 1; i < ntok; i++) {
    int k = -1;
    for (int j = 0; j < 3; j++)
      if (!strcasecmp(tok[i], kw[j])) k = j;
    if (k >= 0) {
      PetscCheck(!clause[k], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' appears twice", where, kw[k]);
      clause[k] = value[k];
      cur       = k;
      continue;
    }
    PetscCheck(cur >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected 'at', 'until' or 'for' after '%s', got '%s'", where, tok[0], tok[i]);
    PetscCheck(strlen(value[cur]) + strlen(tok[i]) + 2 <= sizeof value[cur], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: the value after '%s' is longer than %d characters", where, kw[cur], (int)sizeof value[cur] - 2);
    if (value[cur][0]) PetscCall(StrAppend(value[cur], " ", sizeof value[cur]));
    PetscCall(StrAppend(value[cur], tok[i], sizeof value[cur]));
  }
  for (int k = 0; k < 3; k++)
    PetscCheck(!clause[k] || clause[k][0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' needs a value", where, kw[k]);

  st->current = st->c_rate = st->voltage = 0;
  st->until_voltage = st->until_current = st->until_c_rate = st->duration = PETSC_INFINITY;
  if (!strcasecmp(tok[0], "discharge") || !strcasecmp(tok[0], "charge")) {
    st->kind = !strcasecmp(tok[0], "charge") ? STEP_CHARGE : STEP_DISCHARGE;
    PetscCheck(clause[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a %s needs 'at <current>', e.g. 'at 1C' or 'at 2 mA/cm^2'", where, tok[0]);
    PetscCheck(clause[1] || clause[2], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a %s needs 'until <voltage>' and/or 'for <duration>'", where,
               tok[0]);
    PetscCall(ParseCurrent(clause[0], where, &st->current, &st->c_rate));
    if (clause[1]) PetscCall(UnitsParse(clause[1], "voltage", where, &st->until_voltage));
  } else if (!strcasecmp(tok[0], "rest")) {
    st->kind = STEP_REST;
    PetscCheck(!clause[0] && !clause[1] && clause[2], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: a rest is 'rest for <duration>', e.g. 'rest for 10 min'", where);
  } else if (!strcasecmp(tok[0], "hold")) {
    st->kind = STEP_HOLD;
    PetscCheck(clause[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a hold needs 'at <voltage>', e.g. 'hold at 4.2 V until C/20'", where);
    PetscCheck(clause[1] || clause[2], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a hold needs 'until <current>' and/or 'for <duration>'", where);
    PetscCall(UnitsParse(clause[0], "voltage", where, &st->voltage));
    if (clause[1]) {
      PetscReal Ilim, rate;
      PetscCall(ParseCurrent(clause[1], where, &Ilim, &rate));
      if (rate > 0)
        st->until_c_rate = rate;
      else
        st->until_current = Ilim;
    }
  } else
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown step '%s'; steps are discharge, charge, rest and hold", where, tok[0]);
  if (clause[2]) {
    PetscCall(UnitsParse(clause[2], "time", where, &st->duration));
    PetscCheck(st->duration > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a duration must be > 0", where);
  }
  PetscCheck(p->cathode_model != CATHODE_LITHIUM || (st->c_rate == 0 && st->until_c_rate >= PETSC_INFINITY), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a symmetric Li | SE | Li cell has no capacity, so C-rates are not defined; give a current density such as 1 mA/cm^2", where);
  /* C-rates also get their current, for readers that want A/m^2 directly. */
  if (st->c_rate > 0) st->current = st->c_rate * CathodeCapacity(p) / SECONDS_PER_H;
  if (st->until_c_rate < PETSC_INFINITY) st->until_current = st->until_c_rate * CathodeCapacity(p) / SECONDS_PER_H;
  PetscFunctionReturn(0);
}

/* A protocol step with each $name (or ${name}) replaced by define.name, so
 * that one sweep key (define.rate) changes every step that refers to it.
 * $name needs no quotes in a YAML flow list, where braces would. */
static PetscErrorCode ExpandDefines(Config *c, const char *text, const char *origin, char *out, size_t len)
{
  size_t n = 0;

  PetscFunctionBeginUser;
  for (const char *s = text; *s;) {
    const char *add = s;
    size_t      m   = 1;
    if (s[0] == '$') {
      const PetscBool braced = (PetscBool)(s[1] == '{');
      const char     *name = s + 1 + braced, *end = name;
      char            key[128];
      Entry          *e;
      while (isalnum((unsigned char)*end) || *end == '_')
        end++;
      PetscCheck(end > name && end - name <= 48 && (!braced || *end == '}'), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: protocol step '%s': a reference is $name or ${name}, with the name under define:", origin, text);
      PetscCall(PetscSNPrintf(key, sizeof key, "define.%.*s", (int)(end - name), name));
      e = FindEntry(c, key);
      PetscCheck(e, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol step '%s' refers to %s, which is not defined; add it under define:", origin,
                 text, key);
      e->used = PETSC_TRUE;
      add     = e->value;
      m       = strlen(add);
      s       = end + braced;
    } else
      s++;
    PetscCheck(n + m < len, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol step '%s' is longer than %d characters once expanded", origin, text,
               (int)len - 1);
    memcpy(out + n, add, m);
    n += m;
  }
  out[n] = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode ResolveProtocol(Config *c, Params *p)
{
  PetscFunctionBeginUser;
  if (!c->protocol_given) {
    PetscCheck(p->cathode_model != CATHODE_LITHIUM, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: a symmetric cell (cathode model lithium) has no default protocol; give one with current densities, e.g. protocol: [charge at 1 "
               "mA/cm^2 for "
               "1 h, rest for 10 min]",
               c->file);
    PetscCall(AddStep(c, "discharge at 1C until 3.0 V", "default protocol"));
  }
  PetscCheck(c->nsteps > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: protocol is empty; give at least one step", c->file);
  p->nsteps = c->nsteps;
  PetscCall(TextPrintf(&c->yaml, "protocol:\n"));
  for (PetscInt i = 0; i < c->nsteps; i++) {
    char text[256];
    PetscCall(ExpandDefines(c, c->steps[i].text, c->steps[i].origin, text, sizeof text));
    PetscCall(ParseStep(p, text, c->steps[i].origin, &p->steps[i]));
    PetscCall(TextPrintf(&c->yaml, "  - "));
    PetscCall(TextQuoted(&c->yaml, text));
    PetscCall(TextPrintf(&c->yaml, "\n"));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ResolveOutputSolver(Config *c, Params *p)
{
  const char *file;
  char        path[PETSC_MAX_PATH_LEN], base[PETSC_MAX_PATH_LEN], fallback[PETSC_MAX_PATH_LEN + 16], *dot;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(path, c->file, sizeof path));
  PetscCall(PetscStrncpy(base, basename(path), sizeof base)); /* basename may point into path */
  if ((dot = strrchr(base, '.')) && dot != base) *dot = 0;
  PetscCall(PetscSNPrintf(fallback, sizeof fallback, "out/%s.h5", base));
  PetscCall(GetText(c, "output", "file", fallback, &file));
  PetscCheck(file[0] && strlen(file) < sizeof p->output_file, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: give a file name shorter than %d characters", c->label, (int)sizeof p->output_file);
  PetscCall(PetscStrncpy(p->output_file, file, sizeof p->output_file));
  PetscCall(PetscSNPrintf(fallback, sizeof fallback, "out/%s", base));
  PetscCall(GetText(c, "output", "directory", fallback, &file));
  PetscCheck(file[0] && strlen(file) < sizeof p->output_directory, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: give a directory name shorter than %d characters", c->label, (int)sizeof p->output_directory);
  PetscCall(PetscStrncpy(p->output_directory, file, sizeof p->output_directory));
  PetscCall(GetReal(c, "output", "interval", NULL, &p->output_interval, NULL));
  PetscCall(CheckRange(c, "output", "interval", p->output_interval, 0, PETSC_TRUE, PETSC_INFINITY, PETSC_TRUE,
                       "the interval must be >= 0 (0 = every step)"));
  PetscCall(TextPrintf(&c->yaml, "output:\n  file: "));
  PetscCall(TextQuoted(&c->yaml, p->output_file));
  PetscCall(TextPrintf(&c->yaml, "\n"));
  PetscCall(YamlValue(c, "interval", p->output_interval, "s", NULL));

  PetscCall(GetReal(c, "solver", "rtol", NULL, &p->rtol, NULL));
  PetscCall(CheckRange(c, "solver", "rtol", p->rtol, 0, PETSC_FALSE, 1, PETSC_FALSE, "rtol lies in (0, 1)"));
  PetscCall(GetReal(c, "solver", "atol", NULL, &p->atol, NULL));
  PetscCall(CheckRange(c, "solver", "atol", p->atol, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "atol must be > 0"));
  PetscCall(GetReal(c, "solver", "dt_initial", NULL, &p->dt_initial, NULL));
  PetscCall(CheckRange(c, "solver", "dt_initial", p->dt_initial, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "dt_initial must be > 0"));
  PetscCall(GetReal(c, "solver", "dt_max", NULL, &p->dt_max, NULL));
  PetscCall(CheckRange(c, "solver", "dt_max", p->dt_max, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_TRUE, "dt_max must be > 0"));
  PetscCall(GetReal(c, "solver", "depletion_fraction", NULL, &p->depletion_fraction, NULL));
  PetscCall(CheckRange(c, "solver", "depletion_fraction", p->depletion_fraction, 0, PETSC_FALSE, 1, PETSC_FALSE, "the fraction lies in (0, 1)"));
  PetscCall(GetReal(c, "solver", "voltage_step", NULL, &p->voltage_step, NULL));
  PetscCall(
      CheckRange(c, "solver", "voltage_step", p->voltage_step, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "voltage_step must be > 0, e.g. 10 mV"));
  PetscCall(GetReal(c, "solver", "newton_tolerance", NULL, &p->newton_potential_tolerance, NULL));
  PetscCall(CheckRange(c, "solver", "newton_tolerance", p->newton_potential_tolerance, 0, PETSC_FALSE, 1, PETSC_FALSE,
                       "newton_tolerance lies in (0, 1 V)"));
  PetscCall(GetInt(c, "solver", "max_steps", NULL, &p->max_steps));
  PetscCall(CheckRange(c, "solver", "max_steps", (PetscReal)p->max_steps, 1, PETSC_TRUE, PETSC_INFINITY, PETSC_FALSE, "at least 1 step"));
  PetscCall(TextPrintf(&c->yaml, "solver:\n"));
  PetscCall(YamlValue(c, "rtol", p->rtol, NULL, NULL));
  PetscCall(YamlValue(c, "atol", p->atol, "mol/m^3", NULL));
  PetscCall(YamlValue(c, "dt_initial", p->dt_initial, "s", NULL));
  if (p->dt_max >= PETSC_INFINITY)
    PetscCall(TextPrintf(&c->yaml, "  dt_max: .inf  # s\n"));
  else
    PetscCall(YamlValue(c, "dt_max", p->dt_max, "s", NULL));
  PetscCall(YamlValue(c, "depletion_fraction", p->depletion_fraction, NULL, NULL));
  PetscCall(YamlValue(c, "voltage_step", p->voltage_step, "V", NULL));
  PetscCall(YamlValue(c, "newton_tolerance", p->newton_potential_tolerance, "V", NULL));
  PetscCall(TextPrintf(&c->yaml, "  max_steps: %d\n", (int)p->max_steps));
  PetscFunctionReturn(0);
}

/* Records which material file every used material came from, and the source
 * of each of its parameters, for the provenance of the output file. */
static PetscErrorCode WriteMaterialSources(Config *c, const Params *p)
{
  const char *names[4]  = {NULL, NULL, NULL, NULL};
  const char *phases[4] = {"lithium", "electrolyte", "active", "lithium"};
  const char *key[4]    = {"anode.material", "separator.material", "cathode.material", "cathode.material"};

  PetscFunctionBeginUser;
  PetscCall(TextPrintf(&c->yaml, "material_sources:\n"));
  {
    const char *origin;
    PetscCall(Lookup(c, "anode", "material", "lithium", &names[0], &origin));
    if (strcmp(p->region[REGION_SEPARATOR].electrolyte.name, "custom")) names[1] = p->region[REGION_SEPARATOR].electrolyte.name;
    if (p->cathode_model != CATHODE_LITHIUM) {
      if (strcmp(p->region[REGION_CATHODE].active.name, "custom")) names[2] = p->region[REGION_CATHODE].active.name;
    } else
      PetscCall(Lookup(c, "cathode", "material", "lithium", &names[3], &origin));
    if (names[3] && !strcmp(names[3], names[0])) names[3] = NULL;
  }
  for (int i = 0; i < 4; i++) {
    const MaterialRecord *m;
    if (!names[i]) continue;
    PetscCall(LibraryFind(&c->lib, names[i], phases[i], key[i], &m));
    PetscCall(AddInput(c->params, m->file));
    PetscCall(TextPrintf(&c->yaml, "  %s:\n    file: ", m->name));
    PetscCall(TextQuoted(&c->yaml, m->file));
    PetscCall(TextPrintf(&c->yaml, "\n    reference_temperature: %.10g\n    parameters:\n", (double)m->reference_temperature));
    for (PetscInt j = 0; j < m->nparams; j++) {
      PetscCall(TextPrintf(&c->yaml, "      %s: {value: ", m->params[j].name));
      PetscCall(TextQuoted(&c->yaml, m->params[j].text));
      if (m->params[j].activation_energy_text[0]) {
        PetscCall(TextPrintf(&c->yaml, ", activation_energy: "));
        PetscCall(TextQuoted(&c->yaml, m->params[j].activation_energy_text));
      }
      PetscCall(TextPrintf(&c->yaml, ", source: "));
      PetscCall(TextQuoted(&c->yaml, m->params[j].source));
      PetscCall(TextPrintf(&c->yaml, "}\n"));
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ConfigFree(Config *c)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < c->n; i++) {
    PetscCall(PetscFree(c->e[i].value));
    PetscCall(PetscFree(c->e[i].origin));
  }
  PetscCall(PetscFree(c->e));
  for (PetscInt i = 0; i < c->nsteps; i++) {
    PetscCall(PetscFree(c->steps[i].text));
    PetscCall(PetscFree(c->steps[i].origin));
  }
  for (PetscInt i = 0; i < c->nmaterials; i++)
    PetscCall(PetscFree(c->materials[i]));
  PetscCall(PetscFree(c->materials));
  PetscCall(LibraryClose(&c->lib));
  free(c->yaml.s);
  c->yaml.s = NULL;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckRegularFile(Config *c, const char *path)
{
  struct stat st;

  PetscFunctionBeginUser;
  PetscCheck(stat(path, &st) || S_ISREG(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: materials: %s is not a regular file (a %s)", c->file,
             path, S_ISDIR(st.st_mode) ? "directory" : "device, FIFO or socket");
  PetscFunctionReturn(0);
}

/* Extra material files are relative to the config. Every one is read, so
 * every one is an input of the run. */
static PetscErrorCode OpenLibrary(Config *c, Params *p)
{
  char         **paths = NULL;
  PetscErrorCode ierr  = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(PetscMax(c->nmaterials, 1), &paths));
  for (PetscInt i = 0; i < c->nmaterials && !ierr; i++) {
    char dir[PETSC_MAX_PATH_LEN];
    PetscCall(PetscMalloc1(PETSC_MAX_PATH_LEN, &paths[i]));
    PetscCall(PetscStrncpy(dir, c->file, sizeof dir));
    if (c->materials[i][0] == '/')
      PetscCall(PetscStrncpy(paths[i], c->materials[i], PETSC_MAX_PATH_LEN));
    else
      PetscCall(PetscSNPrintf(paths[i], PETSC_MAX_PATH_LEN, "%s/%s", dirname(dir), c->materials[i]));
    ierr = AddInput(p, paths[i]);
    /* The library opens each file to see that it exists; a FIFO would block
     * that open, and a device would be opened for nothing. */
    if (!ierr) ierr = CheckRegularFile(c, paths[i]);
  }
  if (!ierr) ierr = LibraryOpen(c->nmaterials, paths, &c->lib);
  for (PetscInt i = 0; i < c->nmaterials; i++)
    PetscCall(PetscFree(paths[i]));
  PetscCall(PetscFree(paths));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* Two names of one file: the same device and inode when both exist, else the
 * same path. */
static PetscBool SameFile(const char *a, const char *b)
{
  struct stat sa, sb;

  if (!stat(a, &sa) && !stat(b, &sb)) return (PetscBool)(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
  return (PetscBool)!strcmp(a, b);
}

/* The output writes file.h5 with file.xmf and file.csv beside it, so the name
 * must end in .h5 (out/y.xmf would make the sidecar overwrite the HDF5 file),
 * and none of the three may be one of the run's inputs. */
static PetscErrorCode CheckOutputFile(Config *c, const Params *p)
{
  const char *file = p->output_file, *sidecars[3] = {".h5", ".xmf", ".csv"};
  char        label[PETSC_MAX_PATH_LEN + 256], base[PETSC_MAX_PATH_LEN], name[PETSC_MAX_PATH_LEN + 8];
  size_t      n = strlen(file);
  struct stat st;
  const char *origin;
  const char *value;

  PetscFunctionBeginUser;
  PetscCall(Lookup(c, "output", "file", file, &value, &origin));
  PetscCall(PetscStrncpy(label, c->label, sizeof label));
  PetscCheck(n > 3 && !strcmp(file + n - 3, ".h5") && file[n - 4] != '/', PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: '%s' must be a file name ending in .h5: its .xmf and .csv sidecars take the same name (as in out/run.h5, out/run.xmf, out/run.csv)",
             label, file);
  PetscCheck(stat(file, &st) || !S_ISDIR(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: '%s' is a directory; give a file name ending in .h5", label, file);
  PetscCall(PetscStrncpy(base, file, sizeof base));
  base[n - 3] = 0;
  for (int k = 0; k < 3; k++) {
    PetscCall(PetscSNPrintf(name, sizeof name, "%s%s", base, sidecars[k]));
    for (PetscInt i = 0; i < p->ninputs; i++)
      PetscCheck(!SameFile(name, p->inputs[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: '%s' would overwrite %s, an input of this run%s; choose another output name", label, file, p->inputs[i],
                 k ? (k == 1 ? " (the .xmf sidecar)" : " (the .csv sidecar)") : "");
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ParamsLoad_Private(Config *c, PetscInt noverrides, char **override_keys, char **override_values, Params *p)
{
  PetscInt64     cells;
  size_t         mesh_end;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(ReadConfigFile(c));
  PetscCall(AddInput(p, c->file));
  for (PetscInt i = 0; i < noverrides; i++)
    PetscCall(ApplyOverride(c, override_keys[i], override_values[i]));
  PetscCall(OpenLibrary(c, p));

  PetscCall(TextPrintf(&c->yaml, "# ionstack %s resolved config of ", IONSTACK_VERSION));
  PetscCall(TextQuoted(&c->yaml, c->file));
  PetscCall(TextPrintf(&c->yaml, "; SI units\nconfig_file: "));
  PetscCall(TextQuoted(&c->yaml, c->file));
  PetscCall(TextPrintf(&c->yaml, "\ncell:\n"));
  PetscCall(GetReal(c, "cell", "temperature", NULL, &p->temperature, NULL));
  PetscCall(CheckRange(c, "cell", "temperature", p->temperature, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "a temperature must be above 0 K"));
  c->T = p->temperature;
  PetscCall(GetReal(c, "cell", "area", NULL, &p->area, NULL));
  PetscCall(CheckRange(c, "cell", "area", p->area, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_FALSE, "an area must be > 0"));
  PetscCall(YamlValue(c, "temperature", p->temperature, "K", NULL));
  PetscCall(YamlValue(c, "area", p->area, "m^2", NULL));

  PetscCall(GetInt(c, "mesh", "dim", NULL, &p->dim));
  PetscCheck(p->dim == 1 || p->dim == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: dim %d is not allowed; allowed: 1, 2", c->label, (int)p->dim);
  PetscCall(GetReal(c, "mesh", "memory_limit", NULL, &p->memory_limit, NULL));
  PetscCall(CheckRange(c, "mesh", "memory_limit", p->memory_limit, 0, PETSC_FALSE, PETSC_INFINITY, PETSC_TRUE,
                       "a memory limit must be > 0, e.g. 4 GiB (inf: no limit)"));
  PetscCall(TextPrintf(&c->yaml, "mesh:\n  dim: %d\n", (int)p->dim));
  if (p->memory_limit >= PETSC_INFINITY)
    PetscCall(TextPrintf(&c->yaml, "  memory_limit: .inf  # B\n"));
  else
    PetscCall(YamlValue(c, "memory_limit", p->memory_limit, "B", NULL));
  mesh_end = c->yaml.n;

  {
    static const char *const names[] = {"anode", "separator", "cathode"};
    p->nregions                      = 3;
    for (PetscInt r = 0; r < p->nregions; r++)
      PetscCall(PetscStrncpy(p->region[r].name, names[r], sizeof p->region[r].name));
    p->region[REGION_ANODE].phase     = PHASE_LITHIUM;
    p->region[REGION_SEPARATOR].phase = PHASE_ELECTROLYTE;
  }
  PetscCall(ResolveLithium(c, "anode", &p->region[REGION_ANODE].layer, &p->region[REGION_ANODE].kinetics, &p->region[REGION_ANODE].conductivity,
                           &p->region[REGION_ANODE].density));
  PetscCall(ResolveSeparator(c, p));
  PetscCall(ResolveCathode(c, p));
  if (p->dim == 2) { /* resolved after the layers it meshes, written under mesh: */
    const Text whole = c->yaml;
    Text       part;
    c->yaml = (Text){NULL, 0, 0};
    ierr    = ResolveMesh2d(c, p);
    part = c->yaml, c->yaml = whole;
    if (!ierr) ierr = TextInsert(&c->yaml, mesh_end, &part);
    free(part.s);
    PetscCall(ierr);
  }
  PetscCall(ResolveCollector(c, "anode_collector", &p->anode_collector));
  PetscCall(ResolveCollector(c, "cathode_collector", &p->cathode_collector));
  /* Each layer fits, but the mesh adds them up. */
  cells = (PetscInt64)p->region[REGION_ANODE].layer.cells + p->region[REGION_SEPARATOR].layer.cells + p->region[REGION_CATHODE].layer.cells;
  PetscCheck(cells <= MESH_MAX_CELLS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: anode.cells + separator.cells + cathode.cells = %lld; a mesh has at most %d cells in all", c->file, (long long)cells,
             MESH_MAX_CELLS);
  PetscCall(ResolveProtocol(c, p));
  PetscCall(ResolveOutputSolver(c, p));
  PetscCall(WriteMaterialSources(c, p));
  PetscCall(CheckOutputFile(c, p));

  /* A key that no rule read would be silently ignored: refuse it. */
  for (PetscInt i = 0; i < c->n; i++)
    PetscCheck(c->e[i].used || strncmp(c->e[i].key, "define.", 7), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: %s is not used: no protocol step refers to $%s; remove it or refer to it", c->e[i].origin, c->e[i].key, c->e[i].key + 7);
  for (PetscInt i = 0; i < c->n; i++)
    PetscCheck(c->e[i].used, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: %s has no effect with these settings (cathode model %s, separator kind %s); remove it", c->e[i].origin, c->e[i].key,
               CathodeModels[p->cathode_model], ElectrolyteKinds[p->region[REGION_SEPARATOR].electrolyte.kind]);
  PetscFunctionReturn(0);
}

PetscErrorCode ParamsLoad(MPI_Comm comm, const char *file, PetscInt noverrides, char **override_keys, char **override_values, Params *p)
{
  Config        *c;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(p, sizeof *p));
  PetscCheck(file && strlen(file) < sizeof p->config_file, comm, PETSC_ERR_USER_INPUT, "no config file, or its path is too long");
  PetscCall(PetscStrncpy(p->config_file, file, sizeof p->config_file));
  PetscCall(PetscCalloc1(1, &c));
  c->comm   = comm;
  c->file   = p->config_file;
  c->params = p;
  ierr      = ParamsLoad_Private(c, noverrides, override_keys, override_values, p);
  if (ierr) { /* every rank reads the same file, so every rank stops here */
    PetscCall(ConfigFree(c));
    PetscCall(PetscFree(c));
    PetscCall(ParamsDestroy(p));
    PetscCall(ierr);
  }
  p->resolved_yaml = c->yaml.s;
  c->yaml.s        = NULL;
  PetscCall(ConfigFree(c));
  PetscCall(PetscFree(c));
  PetscFunctionReturn(0);
}

PetscErrorCode ParamsDestroy(Params *p)
{
  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < MAX_REGIONS; r++) {
    ActiveMaterial *a = &p->region[r].active;
    free(a->ocp_theta);
    free(a->ocp_voltage);
    a->ocp_theta = a->ocp_voltage = NULL;
    a->ocp_points                 = 0;
  }
  free(p->resolved_yaml);
  p->resolved_yaml = NULL;
  for (PetscInt i = 0; i < p->ninputs; i++)
    PetscCall(PetscFree(p->inputs[i]));
  PetscCall(PetscFree(p->inputs));
  p->ninputs = 0;
  PetscFunctionReturn(0);
}

const Region *ParamsMembrane(const Params *p)
{
  for (PetscInt r = 0; r < p->nregions; r++)
    if (p->region[r].phase == PHASE_ELECTROLYTE) return &p->region[r];
  return &p->region[REGION_SEPARATOR];
}

const Region *ParamsCathode(const Params *p)
{
  return &p->region[p->nregions > 0 ? p->nregions - 1 : REGION_CATHODE];
}

PetscErrorCode ConfigOptionKey(const char *option, char *key, size_t len, PetscBool *is_config)
{
  const char *s = option;
  size_t      n;

  PetscFunctionBeginUser;
  *is_config = PETSC_FALSE;
  if (len) key[0] = 0;
  while (*s == '-')
    s++;
  n = strcspn(s, "_.");
  if (!n || !IsSection(s, n)) PetscFunctionReturn(0);
  PetscCheck(strlen(s) < len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "option %s is too long", option);
  PetscCall(PetscStrncpy(key, s, len));
  if (key[n]) key[n] = '.';
  *is_config = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------- summary */

PetscErrorCode ParamsView(const Params *p, FILE *fp)
{
  const Electrolyte *e        = &p->region[REGION_SEPARATOR].electrolyte;
  const Layer       *L[3]     = {&p->region[REGION_ANODE].layer, &p->region[REGION_SEPARATOR].layer, &p->region[REGION_CATHODE].layer};
  const char        *names[3] = {"anode", "separator", "cathode"};
  PetscReal          asr      = p->region[REGION_SEPARATOR].layer.thickness / e->conductivity;

  PetscFunctionBeginUser;
  fprintf(fp, "config: %s\n", p->config_file);
  fprintf(fp, "cell: T = %.2f \u00b0C (%.2f K), area = %g cm\u00b2\n", (double)(p->temperature - 273.15), (double)p->temperature,
          (double)(p->area * 1e4));
  if (p->memory_limit >= PETSC_INFINITY)
    fprintf(fp, "mesh: %dD, memory limit none\n", (int)p->dim);
  else
    fprintf(fp, "mesh: %dD, memory limit %.4g GiB\n", (int)p->dim, (double)(p->memory_limit / 1073741824.0));
  if (p->dim == 2) {
    const PhaseMapGenerator *g = &p->mesh2d;
    fprintf(fp, "  lateral %g \u00b5m, %s walls; ", (double)(g->lateral_size * 1e6), g->periodic ? "periodic" : "zero-flux");
    if (g->kind == GENERATOR_NONE)
      fprintf(fp, "phase map %s (square cells of lateral_size / its rows; the layers' geometry is the map's)\n", p->phase_map);
    else {
      fprintf(fp, "generator %s on %d rows of %g \u00b5m", GeneratorKinds[g->kind], (int)g->lateral_cells,
              (double)(g->lateral_size / g->lateral_cells * 1e6));
      if (g->kind == GENERATOR_SINUSOIDAL)
        fprintf(fp, ": amplitude %g \u00b5m, wavelength %g \u00b5m", (double)(g->amplitude * 1e6), (double)(g->wavelength * 1e6));
      if (g->kind == GENERATOR_ROUGH)
        fprintf(fp, ": rms %g \u00b5m, correlation length %g \u00b5m, seed %d", (double)(g->rms * 1e6), (double)(g->correlation_length * 1e6),
                (int)g->seed);
      if (g->kind == GENERATOR_VOIDS)
        fprintf(fp, ": contact fraction %g, %d voids %g \u00b5m deep", (double)g->contact_fraction, (int)g->void_count,
                (double)(g->void_depth * 1e6));
      if (g->kind == GENERATOR_PARTICLES)
        fprintf(fp, ": fraction %g, radius %g +- %g \u00b5m, seed %d", (double)g->particle_fraction, (double)(g->particle_radius * 1e6),
                (double)(g->radius_spread * 1e6), (int)g->seed);
      fprintf(fp, "\n");
      for (int i = 0; i < 3; i++)
        fprintf(fp, "%-10s thickness %g \u00b5m\n", names[i], (double)(L[i]->thickness * 1e6));
    }
  } else
    for (int i = 0; i < 3; i++)
      fprintf(fp, "%-10s thickness %g \u00b5m, %d cells, grading %g\n", names[i], (double)(L[i]->thickness * 1e6), (int)L[i]->cells,
              (double)L[i]->grading);
  fprintf(fp, "anode: lithium, sigma = %.4g S/m, density = %g g/cm^3\n", (double)p->region[REGION_ANODE].conductivity,
          (double)(p->region[REGION_ANODE].density / 1000));
  fprintf(fp, "  Li | separator kinetics: i0 = %.4g mA/cm\u00b2, alpha_a = %g, alpha_c = %g, R_film = %g \u03a9 cm\u00b2%s\n",
          (double)(p->region[REGION_ANODE].kinetics.exchange_current_density / 10), (double)p->region[REGION_ANODE].kinetics.alpha_a,
          (double)p->region[REGION_ANODE].kinetics.alpha_c, (double)(p->region[REGION_ANODE].kinetics.film_resistance * 1e4),
          p->region[REGION_ANODE].kinetics.concentration_dependent ? ", concentration dependent" : "");
  fprintf(fp, "separator: %s (%s), sigma = %.4g mS/cm, c = %g mol/m\u00b3, density = %g g/cm\u00b3\n", e->name, ElectrolyteKinds[e->kind],
          (double)(e->conductivity * 10), (double)e->concentration, (double)(e->density / 1000));
  if (e->kind == ELECTROLYTE_BINARY)
    fprintf(fp, "  D = %.4g m^2/s, t+ = %.4g, chi = %.4g, conductivity exponent %g\n", (double)e->diffusivity, (double)e->transference,
            (double)e->thermodynamic_factor, (double)e->conductivity_exponent);
  if (p->cathode_model != CATHODE_LITHIUM) {
    const ActiveMaterial *a = &p->region[REGION_CATHODE].active;
    fprintf(fp, "cathode: %s %s, c_s,max = %g mol/m^3, D_s = %.4g m^2/s, sigma_s = %.4g S/m, theta %g..%g (initial %g), ocp %s",
            CathodeModels[p->cathode_model], a->name, (double)a->max_concentration, (double)a->diffusivity, (double)a->conductivity,
            (double)a->theta_min, (double)a->theta_max, (double)a->theta_initial, OcpModels[a->ocp]);
    if (a->ocp == OCP_CONSTANT) fprintf(fp, " %g V", (double)a->ocp_value);
    if (a->ocp == OCP_TABLE) fprintf(fp, " (%d points)", (int)a->ocp_points);
    fprintf(fp, ", density = %g g/cm^3\n", (double)(a->density / 1000));
    if (p->cathode_model == CATHODE_COMPOSITE) {
      const Region    *r = &p->region[REGION_CATHODE];
      const Composite *q = &r->composite;
      fprintf(fp, "  composite: active %g..%g, electrolyte %g..%g, carbon %g..%g (separator..collector side), r_p %g..%g \u00b5m, %d shells",
              (double)q->active_fraction.separator_side, (double)q->active_fraction.collector_side, (double)q->electrolyte_fraction.separator_side,
              (double)q->electrolyte_fraction.collector_side, (double)q->carbon_fraction.separator_side, (double)q->carbon_fraction.collector_side,
              (double)(q->particle_radius.separator_side * 1e6), (double)(q->particle_radius.collector_side * 1e6), (int)q->shells);
      if (q->tortuosity > 0)
        fprintf(fp, ", tortuosity %g", (double)q->tortuosity);
      else
        fprintf(fp, ", Bruggeman %g", (double)q->bruggeman);
      fprintf(fp, ", contact %g\n  pore electrolyte: %s, sigma = %.4g mS/cm\n", (double)q->contact_fraction, r->electrolyte.name,
              (double)(r->electrolyte.conductivity * 10));
    }
  } else
    fprintf(fp, "cathode: lithium (symmetric Li | SE | Li cell)\n");
  fprintf(fp, "  cathode | separator kinetics: i0 = %.4g mA/cm\u00b2, alpha_a = %g, alpha_c = %g, R_film = %g \u03a9 cm\u00b2%s\n",
          (double)(p->region[REGION_CATHODE].kinetics.exchange_current_density / 10), (double)p->region[REGION_CATHODE].kinetics.alpha_a,
          (double)p->region[REGION_CATHODE].kinetics.alpha_c, (double)(p->region[REGION_CATHODE].kinetics.film_resistance * 1e4),
          p->region[REGION_CATHODE].kinetics.concentration_dependent ? ", concentration dependent" : "");
  fprintf(fp, "protocol:\n");
  for (PetscInt i = 0; i < p->nsteps; i++)
    fprintf(fp, "  %2d. %s\n", (int)i + 1, p->steps[i].text);
  fprintf(fp, "output: %s, interval %g s\n", p->output_file, (double)p->output_interval);
  fprintf(fp, "solver: rtol %g, atol %g mol/m^3, dt_initial %g s, ", (double)p->rtol, (double)p->atol, (double)p->dt_initial);
  if (p->dt_max >= PETSC_INFINITY)
    fprintf(fp, "dt_max unlimited, max_steps %d\n", (int)p->max_steps);
  else
    fprintf(fp, "dt_max %g s, max_steps %d\n", (double)p->dt_max, (int)p->max_steps);
  fprintf(fp, "  depletion_fraction %g, voltage_step %g mV, newton_tolerance %g V\n", (double)p->depletion_fraction, (double)(p->voltage_step * 1e3),
          (double)p->newton_potential_tolerance);
  fprintf(fp, "inputs:");
  for (PetscInt i = 0; i < p->ninputs; i++)
    fprintf(fp, "%s %s", i ? "," : "", p->inputs[i]);
  fprintf(fp, "\n");
  fprintf(fp, "derived:\n");
  fprintf(fp, "  membrane ASR L/sigma = %.4g \u03a9 cm\u00b2\n", (double)(asr * 1e4));
  if (p->cathode_model != CATHODE_LITHIUM) {
    PetscReal Q = CathodeCapacity(p);
    fprintf(fp, "  cathode theoretical capacity = %.4g mAh/cm\u00b2\n  1C current = %.4g mA/cm\u00b2\n", (double)(Q / 36000.0),
            (double)(Q / SECONDS_PER_H / 10));
  }
  if (e->kind == ELECTROLYTE_BINARY)
    fprintf(fp, "  limiting current = %.4g mA/cm\u00b2\n", (double)(LimitingCurrent(e, p->region[REGION_SEPARATOR].layer.thickness) / 10));
  PetscFunctionReturn(0);
}
