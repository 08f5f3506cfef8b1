/* Command-line options of the config layer. Every config key is an option
 * -section_key (or -section.key) of PETSc's options database, queried with
 * PetscOptionsBegin/PetscOptionsString, so that PETSc marks the ones given as
 * used and -help lists every key with its units, default and meaning beside
 * PETSc's own options. Two checks make every argument count: a word that
 * PETSc's tokenizer would skip (the unquoted tail of "60 degC") is refused,
 * and so is every option that nobody used, naming the nearest config key.
 * It parses no values (ParamsLoad does) and keeps no list of PETSc's options:
 * which of them PETSc used, PETSc itself knows (PetscOptionsLeftGet). */
#include "config_private.h"
#include <ctype.h>
#include <strings.h>

/* One config key as an option: "separator_thickness" for separator.thickness,
 * "separator_conductivity_activation_energy", "protocol". */
typedef struct {
  char             name[96]; /* without the leading '-' and the prefix */
  char             key[96];  /* section.key, as ParamsLoad takes it */
  const SchemaKey *s;
  PetscBool        activation; /* the _activation_energy variant of s */
} ConfigOption;

static PetscErrorCode ConfigOptionsList(ConfigOption **list, PetscInt *n)
{
  PetscInt count = 0;

  PetscFunctionBeginUser;
  for (size_t i = 0; i < ConfigSchemaSize; i++)
    count += (ConfigSchema[i].flags & F_ARR) ? 2 : 1;
  PetscCall(PetscCalloc1(count, list));
  *n = 0;
  for (size_t i = 0; i < ConfigSchemaSize; i++) {
    const SchemaKey *s = &ConfigSchema[i];
    for (int a = 0; a < ((s->flags & F_ARR) ? 2 : 1); a++) {
      ConfigOption *o = &(*list)[(*n)++];
      o->s            = s;
      o->activation   = (PetscBool)(a == 1);
      if (s->type == KT_LIST) {
        PetscCall(PetscStrncpy(o->name, s->section, sizeof o->name));
        PetscCall(PetscStrncpy(o->key, s->section, sizeof o->key));
      } else {
        PetscCall(PetscSNPrintf(o->name, sizeof o->name, "%s_%s%s", s->section, s->key, a ? "_activation_energy" : ""));
        PetscCall(PetscSNPrintf(o->key, sizeof o->key, "%s.%s%s", s->section, s->key, a ? "_activation_energy" : ""));
      }
    }
  }
  PetscFunctionReturn(0);
}

/* What -help shows as the default ("<now ... : formerly ...>"). */
static const char *DefaultText(const ConfigOption *o)
{
  const SchemaKey *s = o->s;

  if (o->activation) return "from the material";
  if (s->def) return s->def;
  if (!strcmp(s->section, "protocol")) return "[discharge at 1C until 3.0 V]";
  if (!strcmp(s->section, "materials")) return "none";
  if (!strcmp(s->section, "output") && !strcmp(s->key, "file")) return "out/<config name>.h5";
  if (s->flags & F_MAT) return "from the material";
  return "depends on the model";
}

/* The meaning with its units, for -help: "membrane thickness (length, e.g. 18 um, 0.1 mm, 2e-5 m)". */
static PetscErrorCode HelpText(const ConfigOption *o, char *buf, size_t len)
{
  const SchemaKey *s = o->s;
  const char      *examples;

  PetscFunctionBeginUser;
  if (o->activation) {
    PetscCall(UnitsExamples("activation_energy", &examples));
    PetscCall(PetscSNPrintf(buf, len, "Arrhenius activation energy of %s.%s (activation_energy, e.g. %s)", s->section, s->key, examples));
  } else if (s->type == KT_QUANTITY) {
    PetscCall(UnitsExamples(s->dimension, &examples));
    PetscCall(PetscSNPrintf(buf, len, "%s (%s, e.g. %s)", s->doc, s->dimension, examples));
  } else
    PetscCall(PetscSNPrintf(buf, len, "%s (%s)", s->doc,
                            s->type == KT_INT ? "integer" : (s->type == KT_BOOL ? "true or false" : (s->type == KT_LIST ? "a YAML list" : "text"))));
  PetscFunctionReturn(0);
}

/* -define_NAME value (or -define.NAME): a named value of the config's define
 * section, which the schema does not list, so the options database is
 * searched for them. ParamsLoad refuses a name the config does not define. */
static PetscErrorCode CollectDefines(const char *prefix, PetscInt *n, char ***keys, char ***values)
{
  PetscInt     nleft, ndef = 0;
  char       **names, **texts;
  const size_t skip = prefix ? strlen(prefix) : 0;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(NULL, &nleft, &names, &texts));
  for (PetscInt i = 0; i < nleft; i++)
    if (!strncmp(names[i], prefix ? prefix : "", skip) && (!strncmp(names[i] + skip, "define_", 7) || !strncmp(names[i] + skip, "define.", 7)))
      ndef++;
  if (ndef) {
    char **k, **v;
    PetscCall(PetscCalloc1(*n + ndef, &k));
    PetscCall(PetscCalloc1(*n + ndef, &v));
    for (PetscInt i = 0; i < *n; i++)
      k[i] = (*keys)[i], v[i] = (*values)[i];
    PetscCall(PetscFree(*keys));
    PetscCall(PetscFree(*values));
    *keys   = k;
    *values = v;
    for (PetscInt i = 0; i < nleft; i++) {
      const char *name = names[i] + skip;
      char        key[128], option[160];
      PetscBool   set;
      if (strncmp(names[i], prefix ? prefix : "", skip) || (strncmp(name, "define_", 7) && strncmp(name, "define.", 7))) continue;
      PetscCall(PetscSNPrintf(key, sizeof key, "define.%s", name + 7));
      PetscCall(PetscSNPrintf(option, sizeof option, "-%s", name));
      PetscCall(PetscOptionsHasName(NULL, prefix, option, &set)); /* used: ParamsLoad takes it */
      PetscCheck(texts[i] && texts[i][0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "command line: -%s needs a value, e.g. -%s 2C", names[i], names[i]);
      PetscCall(PetscStrallocpy(key, &(*keys)[*n]));
      PetscCall(PetscStrallocpy(texts[i], &(*values)[*n]));
      (*n)++;
    }
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &nleft, &names, &texts));
  PetscFunctionReturn(0);
}

PetscErrorCode ConfigOptionsCollect(MPI_Comm comm, const char *prefix, PetscInt *n, char ***keys, char ***values)
{
  ConfigOption *list;
  PetscInt      nlist;
  const char  **found;
  char          option[128], dotted[128], full[256], text[512], buf[PETSC_MAX_PATH_LEN], error[512] = "";

  PetscFunctionBeginUser;
  *n      = 0;
  *keys   = NULL;
  *values = NULL;
  PetscCall(ConfigOptionsList(&list, &nlist));
  PetscCall(PetscCalloc1(nlist, &found));
  /* A bad option is reported after the lists are freed, not from inside. */
  PetscOptionsBegin(comm, prefix, "ionstack config keys (docs/config.md); they override the config file", NULL);
  for (PetscInt i = 0; i < nlist; i++) {
    PetscBool set;
    PetscCall(PetscSNPrintf(option, sizeof option, "-%s", list[i].name));
    PetscCall(HelpText(&list[i], text, sizeof text));
    PetscCall(PetscOptionsString(option, text, "docs/config.md", DefaultText(&list[i]), buf, sizeof buf, &set));
    found[i] = NULL;
    if (!set) continue;
    /* The database's own copy: PetscOptionsString truncates to buf. */
    PetscCall(PetscOptionsFindPair(NULL, prefix, option, &found[i], &set));
    PetscCall(PetscSNPrintf(full, sizeof full, "-%s%s", prefix ? prefix : "", list[i].name));
    if ((!found[i] || !found[i][0]) && !error[0])
      PetscCall(PetscSNPrintf(error, sizeof error, "command line: %s needs a value, e.g. %s \"%s\"", full, full, DefaultText(&list[i])));
  }
  PetscOptionsEnd();
  /* -section.key is the same key; it does not get a help line of its own. */
  for (PetscInt i = 0; i < nlist && !error[0]; i++) {
    const char *value = NULL;
    PetscBool   set;
    char       *dot;
    if (!strchr(list[i].key, '.')) continue;
    PetscCall(PetscSNPrintf(dotted, sizeof dotted, "-%s", list[i].key));
    PetscCall(PetscOptionsFindPair(NULL, prefix, dotted, &value, &set));
    if (!set) continue;
    PetscCall(PetscSNPrintf(full, sizeof full, "-%s%s", prefix ? prefix : "", list[i].key));
    PetscCall(PetscStrncpy(option, full, sizeof option));
    dot  = strchr(option, '.');
    *dot = '_';
    if (found[i])
      PetscCall(PetscSNPrintf(error, sizeof error, "command line: %s is given both as %s and as %s; give it once", list[i].key, option, full));
    else if (!value || !value[0])
      PetscCall(PetscSNPrintf(error, sizeof error, "command line: %s needs a value, e.g. %s \"%s\"", full, full, DefaultText(&list[i])));
    found[i] = value;
  }
  for (PetscInt i = 0; i < nlist && !error[0]; i++)
    if (found[i]) (*n)++;
  if (!error[0]) {
    PetscCall(PetscCalloc1(PetscMax(*n, 1), keys));
    PetscCall(PetscCalloc1(PetscMax(*n, 1), values));
    *n = 0;
    for (PetscInt i = 0; i < nlist; i++) {
      if (!found[i]) continue;
      PetscCall(PetscStrallocpy(list[i].key, &(*keys)[*n]));
      PetscCall(PetscStrallocpy(found[i], &(*values)[*n]));
      (*n)++;
    }
  }
  PetscCall(PetscFree(found));
  PetscCall(PetscFree(list));
  PetscCheck(!error[0], comm, PETSC_ERR_USER_INPUT, "%s", error);
  PetscCall(CollectDefines(prefix, n, keys, values));
  PetscFunctionReturn(0);
}

PetscErrorCode ConfigOptionsFree(PetscInt n, char ***keys, char ***values)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++) {
    if (*keys) PetscCall(PetscFree((*keys)[i]));
    if (*values) PetscCall(PetscFree((*values)[i]));
  }
  PetscCall(PetscFree(*keys));
  PetscCall(PetscFree(*values));
  PetscFunctionReturn(0);
}

/* The options that PetscOptionsInsertArgs gives a value of their own: a file
 * or a prefix follows them, and -prefix_pop takes none. */
static PetscBool IsOneOf(const char *arg, const char *const *names)
{
  for (; *names; names++)
    if (!strcasecmp(arg, *names)) return PETSC_TRUE;
  return PETSC_FALSE;
}

static const char *const with_value[] = {"-options_file", "-options_file_yaml", "-options_string_yaml", "-prefix_push", NULL};
static const char *const no_value[]   = {"-prefix_pop", NULL};

/* The same walk as PetscOptionsInsertArgs: a key (PetscOptionsValidKey) takes
 * the next argument as its value unless that is a key too; any other word is
 * skipped there, and refused here. */
PetscErrorCode ConfigArgumentsCheck(int argc, char **argv, int first)
{
  int a = first;

  PetscFunctionBeginUser;
  while (a < argc) {
    PetscBool key, next_is_key = PETSC_FALSE;
    char      tail[512] = "";

    PetscCall(PetscOptionsValidKey(argv[a], &key));
    if (key) {
      if (IsOneOf(argv[a], with_value))
        a += 2;
      else if (IsOneOf(argv[a], no_value))
        a += 1;
      else {
        if (a + 1 < argc) PetscCall(PetscOptionsValidKey(argv[a + 1], &next_is_key));
        a += (a + 1 < argc && !next_is_key) ? 2 : 1;
      }
      continue;
    }
    /* The stray word and the ones after it, for the quoted suggestion. */
    for (int b = a; b < argc; b++) {
      PetscBool k;
      PetscCall(PetscOptionsValidKey(argv[b], &k));
      if (k) break;
      if (tail[0]) PetscCall(StrAppend(tail, " ", sizeof tail));
      PetscCall(StrAppend(tail, argv[b], sizeof tail));
    }
    if (a == first)
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "stray argument '%s' after '%s': options are written -name value, and a run has one config file",
              argv[a], first > 0 ? argv[first - 1] : "");
    if (IsOneOf(argv[a - 1], no_value))
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "stray argument '%s' after '%s', which takes no value", argv[a], argv[a - 1]);
    /* Otherwise argv[a - 1] was the value of the key argv[a - 2]. */
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "stray argument '%s' after '%s %s': a value with spaces must be quoted: %s \"%s %s\"", argv[a],
            argv[a - 2], argv[a - 1], argv[a - 2], argv[a - 1], tail);
  }
  PetscFunctionReturn(0);
}

/* Optimal string alignment distance (edits, with swaps of two neighbours),
 * case-insensitive; names longer than the rows count as far. */
static int EditDistance(const char *a, const char *b)
{
  enum { N = 128 };
  int    d0[N + 1], d1[N + 1], d2[N + 1], *prev2 = d0, *prev = d1, *cur = d2;
  size_t m = strlen(a), n = strlen(b);

  if (m > N || n > N) return N;
  for (size_t j = 0; j <= n; j++)
    prev[j] = (int)j;
  for (size_t i = 1; i <= m; i++) {
    cur[0] = (int)i;
    for (size_t j = 1; j <= n; j++) {
      int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int v    = PetscMin(prev[j] + 1, cur[j - 1] + 1);
      v        = PetscMin(v, prev[j - 1] + cost);
      if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]))
        v = PetscMin(v, prev2[j - 2] + 1);
      cur[j] = v;
    }
    {
      int *t = prev2;
      prev2  = prev;
      prev   = cur;
      cur    = t;
    }
  }
  return prev[n];
}

static PetscBool EndsWithWord(const char *name, const char *word)
{
  size_t n = strlen(name), w = strlen(word);
  return (PetscBool)(n > w && name[n - w - 1] == '_' && !strcasecmp(name + n - w, word));
}

/* The section a name starts with ("separator" of "separator_thikness"), or -1. */
static int SectionOf(const char *name)
{
  for (size_t i = 0; i < ConfigSectionCount; i++) {
    size_t n = strlen(ConfigSections[i]);
    if (!strncasecmp(name, ConfigSections[i], n) && (name[n] == '_' || name[n] == '.' || !name[n])) return (int)i;
  }
  return -1;
}

/* "did you mean -cathode_initial_stoichiometry?": first a config key that
 * ends with the name (the section was left out), then the same key in
 * another section, then the keys within a small edit distance. */
static PetscErrorCode Suggest(const ConfigOption *list, PetscInt nlist, const char *prefix, const char *name, char *buf, size_t len)
{
  int       best = 1000, section = SectionOf(name), limit;
  size_t    n     = strlen(name);
  PetscInt  count = 0;
  PetscBool pick[512];

  PetscFunctionBeginUser;
  buf[0] = 0;
  PetscCheck(nlist <= (PetscInt)(sizeof pick / sizeof pick[0]), PETSC_COMM_SELF, PETSC_ERR_PLIB, "more config options than Suggest can weigh");
  for (PetscInt i = 0; i < nlist; i++)
    pick[i] = EndsWithWord(list[i].name, name);
  for (PetscInt i = 0; i < nlist; i++)
    count += pick[i];
  if (!count && section >= 0 && name[strlen(ConfigSections[section])]) {
    const char *rest = name + strlen(ConfigSections[section]) + 1;
    for (PetscInt i = 0; i < nlist; i++) {
      const char *other = list[i].s->section;
      pick[i] =
          (PetscBool)(list[i].s->type != KT_LIST && strcmp(other, ConfigSections[section]) && !strcasecmp(list[i].name + strlen(other) + 1, rest));
      count += pick[i];
    }
  }
  if (!count) {
    /* Short names are close to too much. */
    limit = n <= 3 ? 0 : (n <= 8 ? 1 : (n <= 16 ? 2 : 3));
    for (PetscInt i = 0; i < nlist; i++)
      best = PetscMin(best, EditDistance(name, list[i].name));
    for (PetscInt i = 0; i < nlist; i++) {
      pick[i] = (PetscBool)(best <= limit && EditDistance(name, list[i].name) == best);
      count += pick[i];
    }
  }
  if (!count) PetscFunctionReturn(0);
  PetscCall(StrAppend(buf, "did you mean ", len));
  for (PetscInt i = 0, k = 0; i < nlist; i++) {
    if (!pick[i]) continue;
    if (k)
      PetscCall(StrAppend(buf, ++k == count ? " or " : ", ", len));
    else
      k++;
    PetscCall(StrAppend(buf, "-", len));
    if (prefix) PetscCall(StrAppend(buf, prefix, len));
    PetscCall(StrAppend(buf, list[i].name, len));
  }
  PetscCall(StrAppend(buf, "?", len));
  PetscFunctionReturn(0);
}

PetscErrorCode ConfigOptionsCheckUnused(MPI_Comm comm, const char *prefix, PetscBool config_only)
{
  ConfigOption *list;
  PetscInt      nlist, nleft, nbad         = 0;
  char        **names, **values, msg[1024] = "", first[896] = "", others[512] = "";
  size_t        plen = prefix ? strlen(prefix) : 0;

  PetscFunctionBeginUser;
  PetscCall(ConfigOptionsList(&list, &nlist));
  PetscCall(PetscOptionsLeftGet(NULL, &nleft, &names, &values));
  for (PetscInt i = 0; i < nleft; i++) {
    const char *name = names[i];
    int         section;
    PetscBool   known = PETSC_FALSE;
    char        hint[512], keys[512];

    /* With a prefix, the options without it belong to someone else. */
    if (plen && strncasecmp(name, prefix, plen)) continue;
    name += plen;
    section = SectionOf(name);
    if (config_only && section < 0) continue;
    if (nbad++) {
      if (others[0]) PetscCall(StrAppend(others, ", ", sizeof others));
      PetscCall(StrAppend(others, "-", sizeof others));
      PetscCall(StrAppend(others, names[i], sizeof others));
      continue;
    }
    for (PetscInt j = 0; j < nlist; j++)
      known = (PetscBool)(known || !strcasecmp(list[j].name, name) || !strcasecmp(list[j].key, name));
    PetscCall(Suggest(list, nlist, prefix, name, hint, sizeof hint));
    if (known)
      PetscCall(PetscSNPrintf(first, sizeof first, "-%s is a config key that nothing read (was it given with this run's options prefix?)", names[i]));
    else if (section >= 0) {
      char list_text[600] = "";
      PetscCall(ConfigAllowedKeys(ConfigSections[section], keys, sizeof keys));
      if (keys[0])
        PetscCall(PetscSNPrintf(list_text, sizeof list_text, "%s keys of %s are: %s", hint[0] ? " The" : " the", ConfigSections[section], keys));
      PetscCall(PetscSNPrintf(first, sizeof first, "-%s%s%s is not a config key;%s%s%s", names[i], values[i] ? " " : "", values[i] ? values[i] : "",
                              hint[0] ? " " : "", hint, list_text));
    } else if (hint[0])
      PetscCall(PetscSNPrintf(first, sizeof first, "-%s%s%s is not a config key (%s) and not an option PETSc used; see ionstack run CONFIG -help",
                              names[i], values[i] ? " " : "", values[i] ? values[i] : "", hint));
    else
      PetscCall(
          PetscSNPrintf(first, sizeof first,
                        "-%s%s%s is neither a config key nor an option PETSc used; ionstack run CONFIG -help lists both (misspelled, or given to "
                        "a solver this run does not have?)",
                        names[i], values[i] ? " " : "", values[i] ? values[i] : ""));
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &nleft, &names, &values));
  PetscCall(PetscFree(list));
  if (!nbad) PetscFunctionReturn(0);
  if (nbad == 1)
    PetscCall(PetscSNPrintf(msg, sizeof msg, "unused option: %s", first));
  else
    PetscCall(PetscSNPrintf(msg, sizeof msg, "%d unused options: %s (also unused: %s)", (int)nbad, first, others));
  SETERRQ(comm, PETSC_ERR_USER_INPUT, "%s", msg);
}
