# cmake/aarch64-linux-gnu.cmake - cross-compile for AArch64 (Debian's
# gcc-aarch64-linux-gnu) and run every test under qemu-aarch64.
#   LOSSOPT_ARM64_SYSROOT  a folder holding arm64 SLEEF unpacked from Debian's
#                          packages (scripts/fetch-arm64-sleef.sh makes it);
#                          nothing is installed into / for another architecture.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT LOSSOPT_ARM64_SYSROOT)
  set(LOSSOPT_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/aarch64-deps/sysroot")
endif()
get_filename_component(LOSSOPT_ARM64_SYSROOT "${LOSSOPT_ARM64_SYSROOT}" ABSOLUTE)
set(LOSSOPT_ARM64_SYSROOT "${LOSSOPT_ARM64_SYSROOT}" CACHE PATH "arm64 SLEEF sysroot")

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu "${LOSSOPT_ARM64_SYSROOT}")
# Programs (qemu, python) come from the host; libraries and headers only from
# the target roots.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest prepends this to every add_test(NAME ... COMMAND <target>).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
