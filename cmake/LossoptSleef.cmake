# cmake/LossoptSleef.cmake - the system SLEEF 3.5 (Debian libsleef-dev) as the
# imported target lossopt_sleef. find_path/find_library rather than
# pkg-config: Debian's sleef.pc points at the build machine's paths, which is
# wrong for cross builds (cmake/aarch64-linux-gnu.cmake adds the arm64 sysroot).
find_path(LOSSOPT_SLEEF_INCLUDE_DIR sleef.h)
find_library(LOSSOPT_SLEEF_LIBRARY NAMES sleef)
if(NOT LOSSOPT_SLEEF_INCLUDE_DIR OR NOT LOSSOPT_SLEEF_LIBRARY)
  message(FATAL_ERROR "SLEEF not found. On Debian: apt-get install libsleef-dev")
endif()
add_library(lossopt_sleef UNKNOWN IMPORTED)
set_target_properties(lossopt_sleef PROPERTIES
    IMPORTED_LOCATION "${LOSSOPT_SLEEF_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LOSSOPT_SLEEF_INCLUDE_DIR}")
message(STATUS "lossopt: SLEEF ${LOSSOPT_SLEEF_LIBRARY}")
