// bench/bench_main.cc - the benchmark binary's entry point: its own options,
// the CPU context, and the registration of every benchmark family
// (bench_optimizers.cc, bench_losses.cc, bench_rowwise.cc,
// bench_engine_step.cc), before Google Benchmark runs them.
#include <benchmark/benchmark.h>

#include <cstring>

#include "bench_common.h"
#include "lossopt_internal.h"

namespace lossopt_bench {

const Options &options()
{
    static Options o;
    return o;
}

namespace {

// --lossopt_quick (removed from argv before Google Benchmark sees it) picks
// the quick run; anything else is Google Benchmark's.
void parse_options(int &argc, char **argv)
{
    Options &o = const_cast<Options &>(options());
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (std::strcmp(argv[i], "--lossopt_quick") == 0)
            o.quick = true;
        else
            argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = nullptr;
    if (o.quick)
        o.sizes = {65536, size_t(16) << 20};
    else
        o.sizes = {4096, 65536, size_t(1) << 20, size_t(16) << 20};
    o.shapes = {{64, 1000}, {4, 32000}};
    if (!o.quick) {
        o.shapes.push_back({1024, 1000});
        o.shapes.push_back({32, 32000});
    }
}

}  // namespace
}  // namespace lossopt_bench

int main(int argc, char **argv)
{
    using namespace lossopt_bench;
    parse_options(argc, argv);
    char cpu[256];
    lossopt_describe_cpu(cpu, sizeof cpu);
    benchmark::AddCustomContext("lossopt_cpu", cpu);
    benchmark::AddCustomContext("lossopt_active_isa", lossopt_isa_name(lossopt_active_isa()));
    const char *avx512_table = lossopt_avx512_table_name();
    benchmark::AddCustomContext("lossopt_avx512_table", avx512_table ? avx512_table : "none");
    benchmark::AddCustomContext("lossopt_mode", options().quick ? "quick" : "full");
    register_optimizers();
    register_losses();
    register_loss_streams();  // interleaved: once before the losses' 16 Mi rows, once after
    register_rowwise_losses();
    register_engine_step();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
