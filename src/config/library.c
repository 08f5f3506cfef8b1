/* The materials library: finds the material files (configs/materials/NAME.yaml
 * and files named by a config), reads and checks them, and prints them for
 * `ionstack materials [NAME]`. Values are kept at the material's reference
 * temperature together with their temperature law (Arrhenius, Vogel-Fulcher-
 * Tammann, linear resistivity) and the temperature range the law's source
 * covers. This file evaluates a parameter at the run temperature through its
 * law (the formulas are material.c's) and warns when a run leaves the range;
 * which value a run uses (config or material) is config.c's business. */
#include "config_private.h"
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parameters a material file may give, with the dimension of their units. */
static const struct {
  const char *name, *dimension, *meaning;
} material_params[] = {
    {"conductivity", "conductivity", "ionic (electrolyte) or electronic (electrode, collector, additive) conductivity"},
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
    if (i) PetscCall(StrAppend(buf, ", ", len));
    PetscCall(StrAppend(buf, material_params[i].name, len));
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

/* ------------------------------------------------------- temperature laws */

/* A parameter's temperature law lives in the record as companion entries
 * "<parameter>.<field>" right after the parameter itself: the law's name, its
 * constants and the range of its source. The dot keeps them apart from
 * parameter names, and the provenance of a run lists them with the rest. */
typedef enum { LAW_NONE, LAW_CONSTANT, LAW_ARRHENIUS, LAW_VFT, LAW_LINEAR_RESISTIVITY } LawKind;
static const char *const law_names[]   = {"none", "constant", "arrhenius", "vft", "linear_resistivity"};
static const char *const law_display[] = {"temperature", "constant", "Arrhenius", "Vogel-Fulcher-Tammann", "linear-resistivity"};

static const struct {
  const char *field, *dimension, *meaning;
} law_fields[] = {
    {"pseudo_activation_energy", "activation_energy", "E_B = R B of the VFT law p0 exp(-B/(T - T0))"},
    {"vft_temperature", "temperature", "T0 of the VFT law (absolute: K, or degC)"},
    {"temperature_coefficient", "dimensionless", "alpha in rho = rho_ref (1 + alpha (T - T_ref)), in 1/K"},
};

static const MaterialParam *Companion(const MaterialRecord *m, const char *key, const char *field)
{
  char name[sizeof m->params[0].name];

  if (!m || (size_t)snprintf(name, sizeof name, "%s.%s", key, field) >= sizeof name) return NULL;
  return MaterialGetParam(m, name);
}

static LawKind ParamLaw(const MaterialRecord *m, const char *key)
{
  const MaterialParam *law = Companion(m, key, "law");

  if (!law) return LAW_NONE;
  for (int k = LAW_CONSTANT; k <= LAW_LINEAR_RESISTIVITY; k++)
    if (!strcmp(law->text, law_names[k])) return (LawKind)k;
  return LAW_NONE;
}

static PetscReal CompanionValue(const MaterialRecord *m, const char *key, const char *field)
{
  const MaterialParam *q = Companion(m, key, field);
  return q ? q->value : 0.0;
}

static PetscErrorCode AddCompanion(MaterialRecord *rec, const char *file, const MaterialParam *mp, const char *field, const char *text,
                                   PetscReal value)
{
  MaterialParam *q;

  PetscFunctionBeginUser;
  PetscCheck(rec->nparams < MATERIAL_MAX_PARAMS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: more than %d parameters (each temperature law and range counts as well)", file, MATERIAL_MAX_PARAMS);
  q = &rec->params[rec->nparams];
  PetscCall(PetscMemzero(q, sizeof *q));
  PetscCheck((size_t)snprintf(q->name, sizeof q->name, "%s.%s", mp->name, field) < sizeof q->name, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: parameter name %s too long", file, mp->name);
  PetscCall(PetscStrncpy(q->text, text, sizeof q->text));
  PetscCall(PetscStrncpy(q->source, mp->source, sizeof q->source));
  q->value = value;
  rec->nparams++;
  PetscFunctionReturn(0);
}

/* The range of a law's source: a sequence of two temperatures. */
static PetscErrorCode ReadRange(yaml_document_t *doc, const char *file, const char *name, yaml_node_t *v, char text[2][64], PetscReal T[2])
{
  char label[PETSC_MAX_PATH_LEN + 128];
  int  line = (int)v->start_mark.line + 1;

  PetscFunctionBeginUser;
  PetscCheck(v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top - v->data.sequence.items.start == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s.range must be two temperatures [low, high] covered by the source, e.g. [5 degC, 45 degC]", file, line, name);
  for (int k = 0; k < 2; k++) {
    yaml_node_t *t = yaml_document_get_node(doc, v->data.sequence.items.start[k]);
    PetscCheck(t, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s.range: empty entry", file, line, name);
    PetscCall(CopyScalar(t, file, "range", text[k], 64));
    PetscCall(PetscSNPrintf(label, sizeof label, "%s:%d: parameters.%s.range", file, line, name));
    PetscCall(UnitsParse(text[k], "temperature", label, &T[k]));
    PetscCheck(T[k] > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s is not above 0 K", label, text[k]);
  }
  PetscCheck(T[0] < T[1], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s.range: the low end %s must be below the high end %s", file,
             line, name, text[0], text[1]);
  PetscFunctionReturn(0);
}

/* One parameter, in the short form (name: value) or the full form with its
 * activation energy, temperature law, range and source. Appends it, then its
 * companion entries, to the record. */
static PetscErrorCode ReadParameter(yaml_document_t *doc, const char *file, const char *name, yaml_node_t *n, MaterialRecord *rec)
{
  const char    *dimension = MaterialParamDimension(name);
  char           label[PETSC_MAX_PATH_LEN + 128], list[1024], law_text[32] = "", range_text[2][64] = {"", ""}, extra_text[3][64] = {"", "", ""};
  int            line     = (int)n->start_mark.line + 1;
  PetscReal      range[2] = {0, 0}, extra[3] = {0, 0, 0};
  PetscBool      has_range = PETSC_FALSE;
  LawKind        law       = LAW_NONE;
  MaterialParam *mp;

  PetscFunctionBeginUser;
  PetscCall(MaterialParamList(list, sizeof list));
  PetscCheck(dimension, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: unknown material parameter '%s'; allowed: %s", file, line, name, list);
  PetscCheck(rec->nparams < MATERIAL_MAX_PARAMS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: more than %d parameters", file, MATERIAL_MAX_PARAMS);
  mp = &rec->params[rec->nparams];
  PetscCall(PetscMemzero(mp, sizeof *mp));
  PetscCheck(strlen(name) < sizeof mp->name, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameter name too long", file);
  PetscCall(PetscStrncpy(mp->name, name, sizeof mp->name));
  if (n->type == YAML_MAPPING_NODE) {
    PetscBool has_value = PETSC_FALSE;
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
      yaml_node_t *k = yaml_document_get_node(doc, pair->key), *v = yaml_document_get_node(doc, pair->value);
      const char  *ks    = k ? YamlScalar(k) : NULL;
      PetscBool    known = PETSC_FALSE;
      PetscCheck(ks && v, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s: keys must be plain names", file, line, name);
      if (!strcmp(ks, "value")) {
        PetscCall(CopyScalar(v, file, "value", mp->text, sizeof mp->text));
        has_value = PETSC_TRUE;
        continue;
      } else if (!strcmp(ks, "activation_energy")) {
        PetscCall(CopyScalar(v, file, "activation_energy", mp->activation_energy_text, sizeof mp->activation_energy_text));
        continue;
      } else if (!strcmp(ks, "source")) {
        PetscCall(CopyScalar(v, file, "source", mp->source, sizeof mp->source));
        continue;
      } else if (!strcmp(ks, "law")) {
        PetscCall(CopyScalar(v, file, "law", law_text, sizeof law_text));
        for (int j = LAW_CONSTANT; j <= LAW_LINEAR_RESISTIVITY; j++)
          if (!strcmp(law_text, law_names[j])) law = (LawKind)j;
        PetscCheck(law != LAW_NONE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                   "%s:%d: parameters.%s.law '%s' is not allowed; allowed: constant, arrhenius, vft, linear_resistivity", file,
                   (int)v->start_mark.line + 1, name, law_text);
        continue;
      } else if (!strcmp(ks, "range")) {
        PetscCall(ReadRange(doc, file, name, v, range_text, range));
        has_range = PETSC_TRUE;
        continue;
      }
      for (int j = 0; j < 3; j++)
        if (!strcmp(ks, law_fields[j].field)) {
          PetscCall(CopyScalar(v, file, ks, extra_text[j], sizeof extra_text[j]));
          PetscCall(PetscSNPrintf(label, sizeof label, "%s:%d: parameters.%s.%s", file, (int)v->start_mark.line + 1, name, ks));
          PetscCall(UnitsParse(extra_text[j], law_fields[j].dimension, label, &extra[j]));
          known = PETSC_TRUE;
        }
      PetscCheck(known, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s:%d: parameters.%s: unknown key '%s'; allowed: value, activation_energy, law, pseudo_activation_energy, vft_temperature, "
                 "temperature_coefficient, range, source",
                 file, (int)k->start_mark.line + 1, name, ks);
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
  /* An activation energy alone means Arrhenius, as before laws had names. */
  if (law == LAW_NONE && mp->activation_energy_text[0]) law = LAW_ARRHENIUS;
  PetscCheck(law == LAW_ARRHENIUS || !mp->activation_energy_text[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s: activation_energy belongs to the arrhenius law, not to law %s", file, line, name, law_names[law]);
  PetscCheck(law != LAW_ARRHENIUS || mp->activation_energy_text[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s: law arrhenius needs activation_energy (e.g. 0.35 eV or 30 kJ/mol)", file, line, name);
  PetscCheck(law != LAW_VFT || (extra_text[0][0] && extra_text[1][0]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s: law vft needs pseudo_activation_energy (E_B = R B, e.g. 10 kJ/mol) and vft_temperature (T0, e.g. 180 K)", file,
             line, name);
  PetscCheck(law != LAW_VFT || extra[0] > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s:%d: parameters.%s: pseudo_activation_energy must be > 0",
             file, line, name);
  PetscCheck(law == LAW_VFT || (!extra_text[0][0] && !extra_text[1][0]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s: pseudo_activation_energy and vft_temperature belong to law vft", file, line, name);
  PetscCheck(law != LAW_LINEAR_RESISTIVITY || extra_text[2][0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s: law linear_resistivity needs temperature_coefficient (alpha in 1/K, a bare number such as 4.1e-3)", file, line,
             name);
  PetscCheck(law == LAW_LINEAR_RESISTIVITY || !extra_text[2][0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s: temperature_coefficient belongs to law linear_resistivity", file, line, name);
  PetscCheck(law == LAW_NONE || strcmp(dimension, "text"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s:%d: parameters.%s is not a number and takes no temperature law (a range alone is allowed)", file, line, name);
  rec->nparams++;

  if (law != LAW_NONE) PetscCall(AddCompanion(rec, file, mp, "law", law_names[law], (PetscReal)law));
  for (int j = 0; j < 3; j++)
    if (extra_text[j][0]) PetscCall(AddCompanion(rec, file, mp, law_fields[j].field, extra_text[j], extra[j]));
  if (has_range) {
    PetscCall(AddCompanion(rec, file, mp, "range_min", range_text[0], range[0]));
    PetscCall(AddCompanion(rec, file, mp, "range_max", range_text[1], range[1]));
  }
  PetscFunctionReturn(0);
}

/* Checks that need the reference temperature: the source covers it, and a
 * VFT law is above its T0 there and over its whole range. */
static PetscErrorCode CheckLaws(const MaterialRecord *rec)
{
  const PetscReal Tref = rec->reference_temperature;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < rec->nparams; i++) {
    const char          *key = rec->params[i].name;
    const MaterialParam *lo = Companion(rec, key, "range_min"), *hi = Companion(rec, key, "range_max");
    if (strchr(key, '.')) continue;
    PetscCheck(!lo || (lo->value <= Tref && Tref <= hi->value), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: parameters.%s: the reference temperature %g K lies outside the range [%s, %s] of its source; the value must hold inside it",
               rec->file, key, (double)Tref, lo ? lo->text : "", hi ? hi->text : "");
    if (ParamLaw(rec, key) == LAW_VFT) {
      const PetscReal T0 = CompanionValue(rec, key, "vft_temperature");
      PetscCheck(T0 < Tref && (!lo || T0 < lo->value), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: parameters.%s: vft_temperature T0 = %g K must lie below the reference temperature (%g K) and the range", rec->file, key,
                 (double)T0, (double)Tref);
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadMaterialDocument(yaml_document_t *doc, const char *file, MaterialRecord *rec)
{
  yaml_node_t *root = yaml_document_get_root_node(doc);
  char         label[PETSC_MAX_PATH_LEN + 64], temperature[64] = "25 degC";

  PetscFunctionBeginUser;
  PetscCheck(root && root->type == YAML_MAPPING_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a material file is a mapping with name, phase, description, reference_temperature and parameters", file);
  for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
    yaml_node_t *k = yaml_document_get_node(doc, pair->key), *v = yaml_document_get_node(doc, pair->value);
    const char  *ks = k ? YamlScalar(k) : NULL;
    PetscCheck(ks && v, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: keys must be plain names", file);
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
        yaml_node_t *pk = yaml_document_get_node(doc, pp->key), *pv = yaml_document_get_node(doc, pp->value);
        const char  *pks = pk ? YamlScalar(pk) : NULL;
        PetscCheck(pks && pv, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameter names must be plain names", file);
        PetscCheck(!MaterialGetParam(rec, pks), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameter %s given twice", file, pks);
        PetscCall(ReadParameter(doc, file, pks, pv, rec));
      }
    } else
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
              "%s:%d: unknown key '%s'; allowed: name, phase, kind, description, reference_temperature, parameters", file,
              (int)k->start_mark.line + 1, ks);
  }

  PetscCheck(rec->name[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the material has no name", file);
  PetscCheck(!strcmp(rec->phase, "lithium") || !strcmp(rec->phase, "electrolyte") || !strcmp(rec->phase, "active") ||
                 !strcmp(rec->phase, "collector") || !strcmp(rec->phase, "additive"),
             PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: phase '%s' of %s is not one of lithium, electrolyte, active, collector, additive", file,
             rec->phase, rec->name);
  if (!strcmp(rec->phase, "electrolyte"))
    PetscCheck(!strcmp(rec->kind, "single_ion") || !strcmp(rec->kind, "binary"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: electrolyte %s needs kind: single_ion or kind: binary (got '%s')", file, rec->name, rec->kind);
  else
    PetscCheck(!rec->kind[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: kind applies only to electrolytes, not to phase %s", file, rec->phase);
  PetscCall(PetscSNPrintf(label, sizeof label, "%s: reference_temperature", file));
  PetscCall(UnitsParse(temperature, "temperature", label, &rec->reference_temperature));
  PetscCheck(rec->reference_temperature > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: reference_temperature must be above 0 K", file);
  PetscCall(CheckLaws(rec));
  PetscFunctionReturn(0);
}

/* Material files already read, by path and the file's identity, size and
 * modification time: a sweep loads its config once per point, and parsing
 * the library's YAML was half of each load. A file that changed is read
 * again; a file that was refused is not kept. The records are copies, so
 * the cache is process-wide but holds no state a run could see. */
#define READ_CACHE_FILES 512
static struct {
  char            path[PETSC_MAX_PATH_LEN];
  dev_t           dev;
  ino_t           ino;
  off_t           size;
  struct timespec mtime;
  MaterialRecord  rec;
} * read_cache;
static int read_cached;

static int ReadCacheFind(const char *file, const struct stat *st)
{
  for (int i = 0; i < read_cached; i++)
    if (read_cache[i].dev == st->st_dev && read_cache[i].ino == st->st_ino && read_cache[i].size == st->st_size &&
        read_cache[i].mtime.tv_sec == st->st_mtim.tv_sec && read_cache[i].mtime.tv_nsec == st->st_mtim.tv_nsec && !strcmp(read_cache[i].path, file))
      return i;
  return -1;
}

/* The document is freed whether or not the file is valid. */
static PetscErrorCode ReadMaterialFile(const char *file, MaterialRecord *rec)
{
  yaml_document_t doc;
  PetscErrorCode  ierr;
  struct stat     st;
  const PetscBool known = (PetscBool)!stat(file, &st);
  int             i     = known ? ReadCacheFind(file, &st) : -1;

  PetscFunctionBeginUser;
  if (i >= 0) {
    *rec = read_cache[i].rec;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMemzero(rec, sizeof *rec));
  PetscCall(PetscStrncpy(rec->file, file, sizeof rec->file));
  PetscCall(YamlLoadFile(file, &doc));
  ierr = ReadMaterialDocument(&doc, file, rec);
  yaml_document_delete(&doc);
  PetscCall(ierr);
  if (!known || strlen(file) >= PETSC_MAX_PATH_LEN || read_cached == READ_CACHE_FILES) PetscFunctionReturn(0);
  if (!read_cache) {
    read_cache = calloc(READ_CACHE_FILES, sizeof *read_cache); /* kept for the process: later loads read it */
    if (!read_cache) PetscFunctionReturn(0);
  }
  i = read_cached++;
  PetscCall(PetscStrncpy(read_cache[i].path, file, sizeof read_cache[i].path));
  read_cache[i].dev   = st.st_dev;
  read_cache[i].ino   = st.st_ino;
  read_cache[i].size  = st.st_size;
  read_cache[i].mtime = st.st_mtim;
  read_cache[i].rec   = *rec;
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
    char           path[PETSC_MAX_PATH_LEN];
    PetscErrorCode ierr = PetscSNPrintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (!ierr) ierr = LibraryAdd(lib, path, PETSC_FALSE);
    if (ierr) { /* a bad file stops the run; the names are freed first */
      for (size_t j = i; j < n; j++)
        PetscCall(PetscFree(names[j]));
      PetscCall(PetscFree(names));
      PetscCall(ierr);
    }
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
    struct stat st; /* not opened here: a FIFO would block */
    PetscCheck(!stat(extra_files[i], &st), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "materials: cannot open the material file %s: %s", extra_files[i],
               strerror(errno));
    PetscCheck(S_ISREG(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "materials: %s is not a regular file", extra_files[i]);
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
    if (lib->searched[0]) PetscCall(StrAppend(lib->searched, ", ", sizeof lib->searched));
    PetscCall(StrAppend(lib->searched, real[i], sizeof lib->searched));
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
    if (list[0]) PetscCall(StrAppend(list, ", ", sizeof list));
    PetscCall(StrAppend(list, lib->m[i].name, sizeof list));
  }
  for (PetscInt i = 0; i < lib->n; i++)
    PetscCheck(strcmp(lib->m[i].name, name), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: material '%s' is of phase %s, but a %s material is needed here: %s", where, name, lib->m[i].phase, phase,
               list[0] ? list : "(none in the library)");
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown material '%s'; available%s%s: %s (library: %s)", where, name, phase ? " of phase " : "",
          phase ? phase : "", list[0] ? list : "(none)", lib->searched);
}

/* ------------------------------------------- laws at the run temperature */

PetscReal MaterialLawValue(const MaterialRecord *m, const char *key, PetscBool config_law, PetscReal ref, PetscReal Ea, PetscReal T_ref, PetscReal T)
{
  switch (config_law ? LAW_NONE : ParamLaw(m, key)) {
  case LAW_CONSTANT:
    return ref;
  case LAW_VFT:
    return VogelFulcherTammann(ref, CompanionValue(m, key, "pseudo_activation_energy"), CompanionValue(m, key, "vft_temperature"), T_ref, T);
  case LAW_LINEAR_RESISTIVITY:
    return LinearResistivity(ref, CompanionValue(m, key, "temperature_coefficient"), T_ref, T);
  default: /* Arrhenius, also for an activation energy given in the config */
    return Ea != 0 ? Arrhenius(ref, Ea, T_ref, T) : ref;
  }
}

/* "Vogel-Fulcher-Tammann law (B = 1309 K, T0 = 183 K)" and the like. */
static PetscErrorCode LawDescription(const MaterialRecord *m, const char *key, char *buf, size_t len)
{
  const MaterialParam *mp = MaterialGetParam(m, key);

  PetscFunctionBeginUser;
  switch (ParamLaw(m, key)) {
  case LAW_CONSTANT:
    PetscCall(PetscSNPrintf(buf, len, "constant (no temperature dependence in the source)"));
    break;
  case LAW_ARRHENIUS:
    PetscCall(PetscSNPrintf(buf, len, "Arrhenius p_ref exp(-(Ea/R)(1/T - 1/T_ref)), Ea = %s = %.6g J/mol", mp->activation_energy_text,
                            (double)mp->activation_energy));
    break;
  case LAW_VFT: {
    const PetscReal EB = CompanionValue(m, key, "pseudo_activation_energy"), T0 = CompanionValue(m, key, "vft_temperature");
    PetscCall(PetscSNPrintf(buf, len, "Vogel-Fulcher-Tammann p0 exp(-B/(T - T0)), B = E_B/R = %.5g K (E_B = %s), T0 = %.5g K, p0 = %.4g (SI)",
                            (double)(EB / GAS_CONSTANT), Companion(m, key, "pseudo_activation_energy")->text, (double)T0,
                            (double)(mp->value * PetscExpReal(EB / GAS_CONSTANT / (m->reference_temperature - T0)))));
  } break;
  case LAW_LINEAR_RESISTIVITY:
    PetscCall(PetscSNPrintf(buf, len, "linear resistivity, sigma_ref / (1 + alpha (T - T_ref)), alpha = %g 1/K",
                            (double)CompanionValue(m, key, "temperature_coefficient")));
    break;
  default:
    PetscCall(PetscSNPrintf(buf, len, "none given (the value is used at every temperature)"));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode MaterialRangeMessage(const MaterialRecord *m, const char *section, const char *key, PetscReal T, char *msg, size_t len,
                                    PetscBool *outside)
{
  const MaterialParam *lo = Companion(m, key, "range_min"), *hi = Companion(m, key, "range_max");

  PetscFunctionBeginUser;
  *outside = PETSC_FALSE;
  if (len) msg[0] = 0;
  if (!lo || !hi || (T >= lo->value && T <= hi->value)) PetscFunctionReturn(0);
  *outside = PETSC_TRUE;
  PetscCall(PetscSNPrintf(msg, len,
                          "ionstack: warning: %s %s.%s: its %s law is sourced for %s to %s (%.2f-%.2f K), and the run is at %.2f degC (%.2f K): "
                          "the value is extrapolated beyond its source",
                          m->name, section, key, law_display[ParamLaw(m, key)], lo->text, hi->text, (double)lo->value, (double)hi->value,
                          (double)(T - 273.15), (double)T));
  PetscFunctionReturn(0);
}

PetscErrorCode MaterialRangeCheck(MPI_Comm comm, const MaterialRecord *m, const char *section, const char *key, PetscBool config_law, PetscReal T)
{
  char      msg[1024];
  PetscBool outside;
  LawKind   law;

  PetscFunctionBeginUser;
  /* A law the config gave itself is the user's own, without a source range. */
  if (!m || config_law || !MaterialGetParam(m, key)) PetscFunctionReturn(0);
  law = ParamLaw(m, key);
  if (law == LAW_VFT) {
    const PetscReal T0 = CompanionValue(m, key, "vft_temperature");
    PetscCheck(T > T0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s.%s: material %s follows a Vogel-Fulcher-Tammann law with T0 = %g K, and the run temperature %g K is not above it (the law "
               "gives no transport there); set cell.temperature above T0, or %s.%s_activation_energy for an Arrhenius law of your own",
               section, key, m->name, (double)T0, (double)T, section, key);
  }
  if (law == LAW_LINEAR_RESISTIVITY)
    PetscCheck(1 + CompanionValue(m, key, "temperature_coefficient") * (T - m->reference_temperature) > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s.%s: material %s: its linear resistivity law gives no positive resistivity at %g K; set cell.temperature nearer its range", section,
               key, m->name, (double)T);
  PetscCall(MaterialRangeMessage(m, section, key, T, msg, sizeof msg, &outside));
  if (outside) PetscCall(PetscFPrintf(comm, stderr, "%s\n", msg)); /* every rank reads the config; rank 0 says it */
  PetscFunctionReturn(0);
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
      const size_t width = 90; /* of the summary, so that a line stays within about 130 columns */
      char         line[128];
      char        *stop;
      /* The first sentence is the one-line summary; a longer one is cut at a word, with "...". */
      PetscCall(PetscStrncpy(line, lib.m[i].description, sizeof line));
      if ((stop = strstr(line, ". "))) stop[1] = 0;
      if ((stop = strchr(line, '\n'))) stop[0] = 0;
      if (strlen(line) > width) {
        line[width] = 0;
        if ((stop = strrchr(line, ' '))) *stop = 0;
        PetscCall(StrAppend(line, " ...", sizeof line));
      }
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
  PetscErrorCode        ierr;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(LibraryOpen(0, NULL, &lib));
  ierr = LibraryFind(&lib, name, NULL, "ionstack materials", &m);
  if (ierr) PetscCall(LibraryClose(&lib));
  PetscCall(ierr);
  if (!rank) {
    fprintf(fp, "name:        %s\nphase:       %s%s%s\nfile:        %s\nreference temperature: %g K (%g degC)\n", m->name, m->phase,
            m->kind[0] ? ", " : "", m->kind, m->file, (double)m->reference_temperature, (double)(m->reference_temperature - 273.15));
    fprintf(fp, "description: %s\n\n", m->description);
    fprintf(fp, "%-26s %-22s %-14s %s\n", "parameter", "value", "SI", "source");
    for (PetscInt i = 0; i < m->nparams; i++) {
      const MaterialParam *q = &m->params[i], *lo, *hi;
      char                 si[32], law[512];
      if (strchr(q->name, '.')) continue; /* a law's companion, printed with its parameter */
      if (strcmp(MaterialParamDimension(q->name), "text"))
        PetscCall(PetscSNPrintf(si, sizeof si, "%.6g", (double)q->value));
      else
        PetscCall(PetscStrncpy(si, "-", sizeof si));
      fprintf(fp, "%-26s %-22s %-14s %s\n", q->name, q->text, si, q->source[0] ? q->source : "(see description)");
      lo = Companion(m, q->name, "range_min");
      hi = Companion(m, q->name, "range_max");
      if (ParamLaw(m, q->name) == LAW_NONE && !lo) continue;
      PetscCall(LawDescription(m, q->name, law, sizeof law));
      fprintf(fp, "%-26s law: %s\n", "", law);
      if (lo)
        fprintf(fp, "%-26s range of the source: %s to %s (%.2f-%.2f K); outside it check and run warn\n", "", lo->text, hi->text, (double)lo->value,
                (double)hi->value);
      else
        fprintf(fp, "%-26s range of the source: not given\n", "");
    }
  }
  PetscCall(LibraryClose(&lib));
  PetscFunctionReturn(0);
}
