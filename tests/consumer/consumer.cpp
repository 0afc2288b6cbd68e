// tests/consumer/consumer.cpp - the C++ twin of consumer.c: the installed lossopt.h and library used from C++.
#include <lossopt.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

int main()
{
    std::array<float, 5> param = {{1.0f, -2.0f, 0.5f, 3.0f, -0.25f}};
    const std::array<float, 5> grad = {{0.1f, -0.3f, 0.0f, 2.0f, -0.05f}};
    std::array<float, 5> exp_avg{}, exp_avg_sq{};
    const std::array<float, 5> before = param;

    std::printf("library %s\n", lossopt_version_string());
    std::printf("header %d.%d.%d\n", LOSSOPT_VERSION_MAJOR, LOSSOPT_VERSION_MINOR,
                LOSSOPT_VERSION_PATCH);

    const lossopt_adam_config cfg = lossopt_adam_defaults();
    const lossopt_status st = lossopt_adam_step_f32(param.data(), grad.data(), exp_avg.data(),
                                                    exp_avg_sq.data(), nullptr, param.size(),
                                                    &cfg, 1);
    std::printf("adam status %s\n", lossopt_status_string(st));
    if (st != LOSSOPT_OK)
        return 1;

    // The bits, so the script can demand the same result from every build.
    std::printf("adam bits");
    for (float p : param) {
        std::uint32_t bits;
        std::memcpy(&bits, &p, sizeof bits);
        std::printf(" %08x", static_cast<unsigned>(bits));
    }
    std::printf("\n");

    // Adam's first step moves each parameter by lr * sign(grad) (0 for a zero
    // gradient), up to eps and a few roundings: a sanity check of the value.
    bool ok = true;
    for (std::size_t i = 0; i < param.size(); i++) {
        const float sign = grad[i] > 0 ? 1.0f : grad[i] < 0 ? -1.0f : 0.0f;
        const float expected = before[i] - cfg.lr * sign;
        const float error = param[i] > expected ? param[i] - expected : expected - param[i];
        if (error > 1e-5f) {
            std::printf("adam check FAILED at %zu: %.9g, expected about %.9g\n", i,
                        static_cast<double>(param[i]), static_cast<double>(expected));
            ok = false;
        }
    }
    if (ok)
        std::printf("adam check ok\n");
    return ok ? 0 : 1;
}
