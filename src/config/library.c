/* The materials library: finds the material files (configs/materials/NAME.yaml
 * and files named by a config), reads and checks them, and prints them for
 * `ionstack materials [NAME]`. Values are kept at the material's reference
 * temperature with their activation energies; applying the Arrhenius law at
 * the run temperature is config.c's job, the laws themselves material.c's. */
#include "config_private.h"
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>

/* Parameters a material file may give, with the dimension of their units. */
static const struct {
  const char *name, *dimension, *meaning;
} material_params[] = {
    {"conductivity", "conductivity", "ionic (electrolyte) or electronic (electrode) conductivity"},
    {"conductivity_exponent", "dimensionless", "n in kappa(c) = kappa_ref (c/c_ref)^n"},
    {"diffusivity", "diffusivity", "salt diffusivity (electrolyte) or solid diffusivity (active)"},
    {"transference_number", "dimensionless", "cation transference number t+"},
    {"thermodynamic_factor", "dimensionless", "1 + dln f/dln c"},
    {"concentration", "concentration", "salt (binary) or Li+ (single-ion) concentration"},
    {"cation_diffusivity", "diffusivity", "D+ of the dilute Nernst-Planck form"},
    {"anion_diffusivity", "diffusivity", "D- of the dilute Nernst-Planck form"},
    {"density", "density", "mass density"},
    {"molar_mass", "molar_mass", "molar mass of the formula unit"},
    {"max_concentration", "concentration", "c_s,max of lithium in the active material"},
    {"stoichiometry_min", "dimensionless", "theta at the top of charge"},
    {"stoichiometry_max", "dimensionless", "theta at the end of discharge"},
    {"initial_stoichiometry", "dimensionless", "default initial theta"},
    {"exchange_current_density", "current_density", "Butler-Volmer i0 at the reference state"},
    {"alpha_a", "dimensionless", "anodic transfer coefficient"},
    {"alpha_c", "dimensionless", "cathodic transfer coefficient"},
    {"ocp", "text", "open-circuit potential: a built-in fit name or a constant voltage"},
};

const char *MaterialParamDimension(const char *name)
{
  for (size_t i = 0; i < sizeof material_params / sizeof material_params[0]; i++)
    if (!strcmp(material_params[i].name, name)) return material_params[i].dimension;
  return NULL;
}

static PetscErrorCode MaterialParamList(char *buf, size_t len)
{
  PetscFunctionBeginUser;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof material_params / sizeof material_params[0]; i++) {
    if (i) PetscCall(PetscStrlcat(buf, ", ", len));
    PetscCall(PetscStrlcat(buf, material_params[i].name, len));
  }
  PetscFunctionReturn(0);
}

const MaterialParam *MaterialGetParam(const MaterialRecord *rec, const char *name)
{
  if (!rec) return NULL;
  for (PetscInt i = 0; i < rec->nparams; i++)
    if (!strcmp(rec->params[i].name, name)) return &rec->params[i];
  return NULL;
}

static PetscErrorCode CopyScalar(yaml_node_t *n, const char *file, const char *key, char *dst, size_t len)
{
  const char *s = YamlScalar(n);

  PetscFunctionBeginUser;
  PetscCheck(s, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: %s must be a single value", file, (int)n->start_mark.line + 1, key);
  PetscCheck(strlen(s) < len, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: %s is longer than %d characters", file, (int)n->start_mark.line + 1, key,
             (int)len - 1);
  PetscCall(PetscStrncpy(dst, s, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadParameter(yaml_document_t *doc, const char *file, const char *name, yaml_node_t *n, MaterialParam *mp)
{
  const char *dimension = MaterialParamDimension(name);
  char        label[PETSC_MAX_PATH_LEN + 128], list[1024];
  int         line = (int)n->start_mark.line + 1;

  PetscFunctionBeginUser;
  PetscCall(MaterialParamList(list, sizeof list));
  PetscCheck(dimension, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: unknown material parameter '%s'; allowed: %s", file, line, name, list);
  PetscCheck(strlen(name) < sizeof mp->name, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameter name too long", file);
  PetscCall(PetscStrncpy(mp->name, name, sizeof mp->name));
  if (n->type == YAML_MAPPING_NODE) {
    PetscBool has_value = PETSC_FALSE;
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
      yaml_node_t *k = yaml_document_get_node(doc, pair->key), *v = yaml_document_get_node(doc, pair->value);
      const char  *ks = YamlScalar(k);
      PetscCheck(ks, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s: keys must be plain names", file, line, name);
      if (!strcmp(ks, "value")) {
        PetscCall(CopyScalar(v, file, "value", mp->text, sizeof mp->text));
        has_value = PETSC_TRUE;
      } else if (!strcmp(ks, "activation_energy"))
        PetscCall(CopyScalar(v, file, "activation_energy", mp->activation_energy_text, sizeof mp->activation_energy_text));
      else if (!strcmp(ks, "source"))
        PetscCall(CopyScalar(v, file, "source", mp->source, sizeof mp->source));
      else
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s: unknown key '%s'; allowed: value, activation_energy, source", file,
                (int)k->start_mark.line + 1, name, ks);
    }
    PetscCheck(has_value, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s has no value", file, line, name);
  } else
    PetscCall(CopyScalar(n, file, name, mp->text, sizeof mp->text));

  PetscCall(PetscSNPrintf(label, sizeof label, "%s:%d: parameters.%s", file, line, name));
  if (strcmp(dimension, "text")) PetscCall(UnitsParse(mp->text, dimension, label, &mp->value));
  if (mp->activation_energy_text[0]) {
    PetscCall(PetscSNPrintf(label, sizeof label, "%s:%d: parameters.%s.activation_energy", file, line, name));
    PetscCall(UnitsParse(mp->activation_energy_text, "activation_energy", label, &mp->activation_energy));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadMaterialFile(const char *file, MaterialRecord *rec)
{
  yaml_document_t doc;
  yaml_node_t    *root;
  char            label[PETSC_MAX_PATH_LEN + 64], temperature[64] = "25 degC";

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(rec, sizeof *rec));
  PetscCall(PetscStrncpy(rec->file, file, sizeof rec->file));
  PetscCall(YamlLoadFile(file, &doc));
  root = yaml_document_get_root_node(&doc);
  PetscCheck(root && root->type == YAML_MAPPING_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a material file is a mapping with name, phase, description, reference_temperature and parameters", file);
  for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
    yaml_node_t *k = yaml_document_get_node(&doc, pair->key), *v = yaml_document_get_node(&doc, pair->value);
    const char  *ks = YamlScalar(k);
    PetscCheck(ks, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: keys must be plain names", file);
    if (!strcmp(ks, "name"))
      PetscCall(CopyScalar(v, file, ks, rec->name, sizeof rec->name));
    else if (!strcmp(ks, "phase"))
      PetscCall(CopyScalar(v, file, ks, rec->phase, sizeof rec->phase));
    else if (!strcmp(ks, "kind"))
      PetscCall(CopyScalar(v, file, ks, rec->kind, sizeof rec->kind));
    else if (!strcmp(ks, "description"))
      PetscCall(CopyScalar(v, file, ks, rec->description, sizeof rec->description));
    else if (!strcmp(ks, "reference_temperature"))
      PetscCall(CopyScalar(v, file, ks, temperature, sizeof temperature));
    else if (!strcmp(ks, "parameters")) {
      PetscCheck(v->type == YAML_MAPPING_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters must be a mapping of name: value", file,
                 (int)v->start_mark.line + 1);
      for (yaml_node_pair_t *pp = v->data.mapping.pairs.start; pp < v->data.mapping.pairs.top; pp++) {
        yaml_node_t *pk = yaml_document_get_node(&doc, pp->key), *pv = yaml_document_get_node(&doc, pp->value);
        const char  *pks = YamlScalar(pk);
        PetscCheck(pks, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameter names must be plain names", file);
        PetscCheck(rec->nparams < MATERIAL_MAX_PARAMS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: more than %d parameters", file,
                   MATERIAL_MAX_PARAMS);
        PetscCheck(!MaterialGetParam(rec, pks), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameter %s given twice", file, pks);
        PetscCall(ReadParameter(&doc, file, pks, pv, &rec->params[rec->nparams]));
        rec->nparams++;
      }
    } else
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
              "%s:%d: unknown key '%s'; allowed: name, phase, kind, description, reference_temperature, parameters", file,
              (int)k->start_mark.line + 1, ks);
  }
  yaml_document_delete(&doc);

  PetscCheck(rec->name[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the material has no name", file);
  PetscCheck(!strcmp(rec->phase, "lithium") || !strcmp(rec->phase, "electrolyte") || !strcmp(rec->phase, "active"), PETSC_COMM_SELF,
             PETSC_ERR_USER_INPUT, "%s: phase '%s' of %s is not one of lithium, electrolyte, active", file, rec->phase, rec->name);
  if (!strcmp(rec->phase, "electrolyte"))
    PetscCheck(!strcmp(rec->kind, "single_ion") || !strcmp(rec->kind, "binary"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: electrolyte %s needs kind: single_ion or kind: binary (got '%s')", file, rec->name, rec->kind);
  else
    PetscCheck(!rec->kind[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: kind applies only to electrolytes, not to phase %s", file, rec->phase);
  PetscCall(PetscSNPrintf(label, sizeof label, "%s: reference_temperature", file));
  PetscCall(UnitsParse(temperature, "temperature", label, &rec->reference_temperature));
  PetscCheck(rec->reference_temperature > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: reference_temperature must be above 0 K", file);
  PetscFunctionReturn(0);
}

static PetscErrorCode LibraryAdd(MaterialLibrary *lib, const char *file, PetscBool explicit_file)
{
  MaterialRecord *rec;

  PetscFunctionBeginUser;
  if (lib->n == lib->size) {
    MaterialRecord *m;
    lib->size = lib->size ? 2 * lib->size : 16;
    PetscCall(PetscMalloc1(lib->size, &m));
    if (lib->n) PetscCall(PetscArraycpy(m, lib->m, lib->n));
    PetscCall(PetscFree(lib->m));
    lib->m = m;
  }
  rec = &lib->m[lib->n];
  PetscCall(ReadMaterialFile(file, rec));
  for (PetscInt i = 0; i < lib->n; i++)
    if (!strcmp(lib->m[i].name, rec->name)) {
      /* An earlier source wins: config files over IONSTACK_MATERIALS over the installed library. */
      PetscCheck(!explicit_file || strcmp(lib->m[i].file, file), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s is listed twice", file);
      PetscFunctionReturn(0);
    }
  lib->n++;
  PetscFunctionReturn(0);
}

static int CompareNames(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every *.yaml of a directory in name order, so the result does not
 * depend on the file system's order. */
static PetscErrorCode LibraryAddDirectory(MaterialLibrary *lib, const char *dir)
{
  DIR           *d = opendir(dir);
  struct dirent *e;
  char         **names = NULL;
  size_t         n = 0, cap = 0;

  PetscFunctionBeginUser;
  if (!d) PetscFunctionReturn(0);
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") || e->d_name[0] == '.') continue;
    if (n == cap) {
      char **tmp;
      cap = cap ? 2 * cap : 32;
      PetscCall(PetscMalloc1(cap, &tmp));
      if (n) PetscCall(PetscArraycpy(tmp, names, n));
      PetscCall(PetscFree(names));
      names = tmp;
    }
    PetscCall(PetscStrallocpy(e->d_name, &names[n]));
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, CompareNames);
  for (size_t i = 0; i < n; i++) {
    char path[PETSC_MAX_PATH_LEN];
    PetscCall(PetscSNPrintf(path, sizeof path, "%s/%s", dir, names[i]));
    PetscCall(LibraryAdd(lib, path, PETSC_FALSE));
    PetscCall(PetscFree(names[i]));
  }
  PetscCall(PetscFree(names));
  PetscFunctionReturn(0);
}

/* The search order of SPEC 4.2: the environment, beside the executable (a
 * source tree or an install prefix), then the paths compiled in. A directory
 * reached twice (the executable inside the source tree) is read once. */
PetscErrorCode LibraryOpen(PetscInt nextra, char **extra_files, MaterialLibrary *lib)
{
  char        dirs[5][PETSC_MAX_PATH_LEN], real[5][PETSC_MAX_PATH_LEN];
  int         ndirs = 0;
  const char *env   = getenv("IONSTACK_MATERIALS");
  char        exe[PETSC_MAX_PATH_LEN];
  ssize_t     len;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(lib, sizeof *lib));
  for (PetscInt i = 0; i < nextra; i++) {
    FILE *fp = fopen(extra_files[i], "r");
    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "materials: cannot open the material file %s", extra_files[i]);
    fclose(fp);
    PetscCall(LibraryAdd(lib, extra_files[i], PETSC_TRUE));
  }
  if (env && env[0]) PetscCall(PetscStrncpy(dirs[ndirs++], env, PETSC_MAX_PATH_LEN));
  len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    char *dir;
    exe[len] = 0;
    dir      = dirname(exe);
    PetscCall(PetscSNPrintf(dirs[ndirs++], PETSC_MAX_PATH_LEN, "%s/../configs/materials", dir));
    PetscCall(PetscSNPrintf(dirs[ndirs++], PETSC_MAX_PATH_LEN, "%s/../share/ionstack/materials", dir));
  }
  PetscCall(PetscStrncpy(dirs[ndirs++], IONSTACK_SOURCE_DIR "/configs/materials", PETSC_MAX_PATH_LEN));
  PetscCall(PetscStrncpy(dirs[ndirs++], IONSTACK_PREFIX "/share/ionstack/materials", PETSC_MAX_PATH_LEN));
  for (int i = 0; i < ndirs; i++) {
    PetscBool seen = PETSC_FALSE;
    if (!realpath(dirs[i], real[i])) {
      real[i][0] = 0;
      continue;
    }
    for (int j = 0; j < i; j++)
      seen = (PetscBool)(seen || !strcmp(real[i], real[j]));
    if (seen) continue;
    if (lib->searched[0]) PetscCall(PetscStrlcat(lib->searched, ", ", sizeof lib->searched));
    PetscCall(PetscStrlcat(lib->searched, real[i], sizeof lib->searched));
    PetscCall(LibraryAddDirectory(lib, real[i]));
  }
  if (!lib->searched[0])
    PetscCall(PetscStrncpy(lib->searched, "none found: set IONSTACK_MATERIALS to the configs/materials directory", sizeof lib->searched));
  PetscFunctionReturn(0);
}

PetscErrorCode LibraryClose(MaterialLibrary *lib)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(lib->m));
  lib->n = lib->size = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode LibraryFind(const MaterialLibrary *lib, const char *name, const char *phase, const char *where, const MaterialRecord **rec)
{
  char list[2048] = "";

  PetscFunctionBeginUser;
  *rec = NULL;
  for (PetscInt i = 0; i < lib->n; i++) {
    if (phase && strcmp(lib->m[i].phase, phase)) continue;
    if (!strcmp(lib->m[i].name, name)) {
      *rec = &lib->m[i];
      PetscFunctionReturn(0);
    }
    if (list[0]) PetscCall(PetscStrlcat(list, ", ", sizeof list));
    PetscCall(PetscStrlcat(list, lib->m[i].name, sizeof list));
  }
  for (PetscInt i = 0; i < lib->n; i++)
    PetscCheck(strcmp(lib->m[i].name, name), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: material '%s' is of phase %s, but a %s material is needed here: %s", where, name, lib->m[i].phase, phase,
               list[0] ? list : "(none in the library)");
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown material '%s'; available%s%s: %s (library: %s)", where, name, phase ? " of phase " : "",
          phase ? phase : "", list[0] ? list : "(none)", lib->searched);
}

PetscErrorCode MaterialsList(MPI_Comm comm, FILE *fp)
{
  MaterialLibrary lib;
  PetscMPIInt     rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(LibraryOpen(0, NULL, &lib));
  if (!rank) {
    fprintf(fp, "%-14s %-12s %-11s %s\n", "name", "phase", "kind", "description");
    for (PetscInt i = 0; i < lib.n; i++) {
      char  line[100];
      char *stop;
      /* The first sentence is the one-line summary. */
      PetscCall(PetscStrncpy(line, lib.m[i].description, sizeof line));
      if ((stop = strstr(line, ". "))) stop[1] = 0;
      if ((stop = strchr(line, '\n'))) stop[0] = 0;
      fprintf(fp, "%-14s %-12s %-11s %s\n", lib.m[i].name, lib.m[i].phase, lib.m[i].kind[0] ? lib.m[i].kind : "-", line);
    }
    fprintf(fp, "(library: %s)\n", lib.searched);
  }
  PetscCall(LibraryClose(&lib));
  PetscFunctionReturn(0);
}

PetscErrorCode MaterialsShow(MPI_Comm comm, const char *name, FILE *fp)
{
  MaterialLibrary       lib;
  const MaterialRecord *m;
  PetscMPIInt           rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(LibraryOpen(0, NULL, &lib));
  PetscCall(LibraryFind(&lib, name, NULL, "ionstack materials", &m));
  if (!rank) {
    fprintf(fp, "name:        %s\nphase:       %s%s%s\nfile:        %s\nreference temperature: %g K (%g degC)\n", m->name, m->phase,
            m->kind[0] ? ", " : "", m->kind, m->file, (double)m->reference_temperature, (double)(m->reference_temperature - 273.15));
    fprintf(fp, "description: %s\n\n", m->description);
    fprintf(fp, "%-26s %-22s %-14s %-26s %s\n", "parameter", "value", "SI", "E_a", "source");
    for (PetscInt i = 0; i < m->nparams; i++) {
      const MaterialParam *q = &m->params[i];
      char                 si[32], ea[64];
      if (strcmp(MaterialParamDimension(q->name), "text"))
        PetscCall(PetscSNPrintf(si, sizeof si, "%.6g", (double)q->value));
      else
        PetscCall(PetscStrncpy(si, "-", sizeof si));
      if (q->activation_energy_text[0])
        PetscCall(PetscSNPrintf(ea, sizeof ea, "%s (%.4g kJ/mol)", q->activation_energy_text, (double)(q->activation_energy / 1000.0)));
      else
        PetscCall(PetscStrncpy(ea, "-", sizeof ea));
      fprintf(fp, "%-26s %-22s %-14s %-26s %s\n", q->name, q->text, si, ea, q->source[0] ? q->source : "(see description)");
    }
  }
  PetscCall(LibraryClose(&lib));
  PetscFunctionReturn(0);
}
