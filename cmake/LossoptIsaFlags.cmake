# cmake/LossoptIsaFlags.cmake - which vector ISAs this compiler and target can
# build, and their flags. Sets LOSSOPT_BUILD_<ISA> and LOSSOPT_<ISA>_FLAGS.
include(CheckCSourceCompiles)
include(CMakePushCheckState)

# F16C (vcvtph2ps/vcvtps2ph) belongs to both levels since 0.2: the 16-bit
# storage of the engine step (every AVX2 CPU has it; the dispatcher checks).
set(LOSSOPT_AVX2_FLAGS -mavx2 -mfma -mf16c)
set(LOSSOPT_AVX512_FLAGS -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mf16c)
set(LOSSOPT_NEON_FLAGS) # Advanced SIMD is baseline on AArch64

function(lossopt_probe_isa result flags source)
  cmake_push_check_state(RESET)
  string(REPLACE ";" " " flag_string "${flags}")
  set(CMAKE_REQUIRED_FLAGS "${flag_string}")
  check_c_source_compiles("${source}" ${result})
  cmake_pop_check_state()
  set(${result} ${${result}} PARENT_SCOPE)
endfunction()

set(LOSSOPT_BUILD_AVX2 OFF)
set(LOSSOPT_BUILD_AVX512 OFF)
set(LOSSOPT_BUILD_NEON OFF)

if(LOSSOPT_ENABLE_AVX2)
  lossopt_probe_isa(LOSSOPT_COMPILER_HAS_AVX2 "${LOSSOPT_AVX2_FLAGS}" "
    #include <immintrin.h>
    int main(void) { __m256 a = _mm256_set1_ps(1.0f);
      a = _mm256_fmadd_ps(a, a, a); a = _mm256_cvtph_ps(_mm256_cvtps_ph(a, 0));
      return (int)_mm256_cvtss_f32(a); }")
  set(LOSSOPT_BUILD_AVX2 ${LOSSOPT_COMPILER_HAS_AVX2})
endif()
if(LOSSOPT_ENABLE_AVX512)
  lossopt_probe_isa(LOSSOPT_COMPILER_HAS_AVX512 "${LOSSOPT_AVX512_FLAGS}" "
    #include <immintrin.h>
    int main(void) { __m512 a = _mm512_set1_ps(1.0f);
      a = _mm512_mask_loadu_ps(a, (__mmask16)3, (const float *)&a);
      a = _mm512_xor_ps(a, a); return (int)_mm512_cvtss_f32(a); }")
  set(LOSSOPT_BUILD_AVX512 ${LOSSOPT_COMPILER_HAS_AVX512})
endif()
if(LOSSOPT_ENABLE_NEON)
  lossopt_probe_isa(LOSSOPT_COMPILER_HAS_NEON "" "
    #if !defined(__aarch64__)
    #error NEON variant is AArch64 only
    #endif
    #include <arm_neon.h>
    int main(void) { float32x4_t a = vdupq_n_f32(1.0f);
      a = vfmaq_f32(a, a, a); return (int)vgetq_lane_f32(vsqrtq_f32(a), 0); }")
  set(LOSSOPT_BUILD_NEON ${LOSSOPT_COMPILER_HAS_NEON})
endif()
