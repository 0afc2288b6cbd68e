/* tools/lossopt_info.c - lossopt-info: the library version, the CPU features the
 * dispatcher reads, the ISAs built/supported/active, what LOSSOPT_ISA does, and
 * the SLEEF version; as text or (--json) as one JSON object. Same machine and
 * environment -> same output, byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sleef.h>

#include "lossopt.h"
#include "lossopt_internal.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
/* SLEEF has no run-time version query: this is the sleef.h the tool was built
 * with, which on Debian is also the libsleef3 it runs with (same package set). */
#define SLEEF_VERSION_STRING                                                   \
    STRINGIFY(SLEEF_VERSION_MAJOR) "." STRINGIFY(SLEEF_VERSION_MINOR) "." STRINGIFY( \
        SLEEF_VERSION_PATCHLEVEL)

#define MAX_FEATURES 32

/* The dispatcher's CPU description, "x86: avx=1 fma=1 ...", split up. A
 * description without that shape (an architecture without detection) keeps
 * arch "unknown" and no feature bits; the text is still printed. */
typedef struct cpu_info {
    char text[512];
    char arch[32];
    struct {
        char name[32];
        int value;
    } features[MAX_FEATURES];
    int feature_count;
} cpu_info;

/* What LOSSOPT_ISA does, in one sentence, and whether it leaves a usable ISA. */
typedef struct env_info {
    const char *value; /* NULL when unset */
    int usable;
    char effect[256];
} env_info;

static void read_cpu(cpu_info *cpu)
{
    memset(cpu, 0, sizeof *cpu);
    lossopt_describe_cpu(cpu->text, sizeof cpu->text);
    strcpy(cpu->arch, "unknown");
    const char *colon = strstr(cpu->text, ": ");
    if (colon == NULL || (size_t)(colon - cpu->text) >= sizeof cpu->arch)
        return;
    memcpy(cpu->arch, cpu->text, (size_t)(colon - cpu->text));
    cpu->arch[colon - cpu->text] = '\0';
    const char *p = colon + 2;
    while (*p != '\0' && cpu->feature_count < MAX_FEATURES) {
        char name[32];
        int value, used;
        if (sscanf(p, " %31[a-z0-9_]=%d%n", name, &value, &used) != 2)
            break;
        strcpy(cpu->features[cpu->feature_count].name, name);
        cpu->features[cpu->feature_count].value = value;
        cpu->feature_count++;
        p += used;
    }
}

/* The ISA named exactly `name`, or -1; the same names the dispatcher accepts. */
static int isa_from_name(const char *name)
{
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if (strcmp(name, lossopt_isa_name((lossopt_isa)isa)) == 0)
            return isa;
    return -1;
}

static void read_env(env_info *env, lossopt_isa active, unsigned built, unsigned supported)
{
    env->value = getenv("LOSSOPT_ISA");
    env->usable = active != LOSSOPT_ISA_INVALID;
    if (env->value == NULL) {
        snprintf(env->effect, sizeof env->effect,
                 "not set: the dispatcher picks the best supported ISA "
                 "(avx512 > avx2 > neon > scalar)");
        return;
    }
    if (env->usable) {
        snprintf(env->effect, sizeof env->effect, "forces %s for every kernel call",
                 lossopt_isa_name(active));
        return;
    }
    /* The dispatcher only says "invalid"; name the reason for the reader. */
    int isa = isa_from_name(env->value);
    const char *why = isa < 0                      ? "not an ISA name: scalar, avx2, avx512, neon"
                      : !(built & (1u << isa))     ? "not built into this library"
                      : !(supported & (1u << isa)) ? "this CPU or OS cannot run it"
                                                   : "rejected by the dispatcher";
    snprintf(env->effect, sizeof env->effect,
             "unknown or unsupported, every kernel call returns LOSSOPT_ERR_ISA (%s)", why);
}

static void print_isa_list_text(unsigned isas)
{
    const char *sep = "";
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if (isas & (1u << isa)) {
            printf("%s%s", sep, lossopt_isa_name((lossopt_isa)isa));
            sep = " ";
        }
    printf("\n");
}

/* Which of the two avx512 tables the dispatcher runs on this CPU
 * (dispatch/dispatch.c); the same bits either way. */
static const char *avx512_table_text(void)
{
    const char *name = lossopt_avx512_table_name();
    if (name == NULL)
        return "none (AVX-512 not built or not run by this CPU)";
    if (strcmp(name, "zmm") == 0)
        return "zmm (every kernel at 512 bits: an AMD CPU, whose 512-bit divide costs no more per element)";
    return "mixed (divide- and sqrt-bound kernels at 256 bits, the rest at 512)";
}

static void print_text(const cpu_info *cpu, unsigned built, unsigned supported,
                       lossopt_isa active, const env_info *env)
{
    printf("lossopt version   %s\n", lossopt_version_string());
    printf("SLEEF version     %s\n", SLEEF_VERSION_STRING);
    printf("CPU architecture  %s\n", cpu->arch);
    if (cpu->feature_count > 0) {
        printf("CPU features     ");
        for (int i = 0; i < cpu->feature_count; i++)
            printf(" %s=%d", cpu->features[i].name, cpu->features[i].value);
        printf("\n");
    } else {
        printf("CPU features      %s\n", cpu->text);
    }
    printf("ISAs built        ");
    print_isa_list_text(built);
    printf("ISAs supported    ");
    print_isa_list_text(supported);
    printf("ISA active        %s\n", lossopt_isa_name(active));
    printf("avx512 table      %s\n", avx512_table_text());
    if (env->value == NULL)
        printf("LOSSOPT_ISA       %s\n", env->effect);
    else
        printf("LOSSOPT_ISA=%s: %s\n", env->value, env->effect);
}

/* A JSON string literal; LOSSOPT_ISA is user input, so escape everything. */
static void print_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_isa_list_json(unsigned isas)
{
    const char *sep = "";
    printf("[");
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if (isas & (1u << isa)) {
            printf("%s\"%s\"", sep, lossopt_isa_name((lossopt_isa)isa));
            sep = ", ";
        }
    printf("]");
}

static void print_json(const cpu_info *cpu, unsigned built, unsigned supported,
                       lossopt_isa active, const env_info *env)
{
    printf("{\n");
    printf("  \"lossopt_version\": \"%s\",\n", lossopt_version_string());
    printf("  \"sleef_version\": \"%s\",\n", SLEEF_VERSION_STRING);
    printf("  \"cpu\": {\n");
    printf("    \"arch\": ");
    print_json_string(cpu->arch);
    printf(",\n    \"description\": ");
    print_json_string(cpu->text);
    printf(",\n    \"features\": {");
    for (int i = 0; i < cpu->feature_count; i++)
        printf("%s\"%s\": %s", i ? ", " : "", cpu->features[i].name,
               cpu->features[i].value ? "true" : "false");
    printf("}\n  },\n");
    printf("  \"isas_built\": ");
    print_isa_list_json(built);
    printf(",\n  \"isas_supported\": ");
    print_isa_list_json(supported);
    printf(",\n  \"isa_active\": \"%s\",\n", lossopt_isa_name(active));
    const char *avx512_table = lossopt_avx512_table_name();
    if (avx512_table == NULL)
        printf("  \"avx512_table\": null,\n");
    else
        printf("  \"avx512_table\": \"%s\",\n", avx512_table);
    printf("  \"lossopt_isa\": {\"value\": ");
    if (env->value == NULL)
        printf("null");
    else
        print_json_string(env->value);
    printf(", \"usable\": %s, \"effect\": ", env->usable ? "true" : "false");
    print_json_string(env->effect);
    printf("}\n}\n");
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lossopt-info [--json] [--help]\n"
            "Prints the lossopt library version, the CPU feature bits its dispatcher\n"
            "reads, the ISAs built into the library, supported by this CPU and OS, and\n"
            "active, the effect of the LOSSOPT_ISA environment variable, and the SLEEF\n"
            "version.\n"
            "  --json   the same as one JSON object\n"
            "  --help   this text\n");
}

int main(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "lossopt-info: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    cpu_info cpu;
    env_info env;
    read_cpu(&cpu);
    unsigned built = lossopt_built_isas();
    unsigned supported = lossopt_supported_isas();
    lossopt_isa active = lossopt_active_isa(); /* reads LOSSOPT_ISA, as a kernel call would */
    read_env(&env, active, built, supported);

    if (json)
        print_json(&cpu, built, supported, active, &env);
    else
        print_text(&cpu, built, supported, active, &env);
    return fflush(stdout) == 0 ? 0 : 1;
}
