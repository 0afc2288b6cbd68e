# cmake/LossoptInstall.cmake - install rules, the CMake package (lossopt::lossopt,
# lossopt::lossopt_static), lossopt.pc for pkg-config, and CPack's .deb.
# Included from CMakeLists.txt once lossopt and lossopt_static exist. Only those
# two targets are exported: lossopt_internal, the OBJECT libraries and
# lossopt_sleef are build-tree details.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LOSSOPT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/lossopt CACHE STRING
    "Where lossoptConfig.cmake is installed, relative to the prefix")
mark_as_advanced(LOSSOPT_INSTALL_CMAKEDIR)

# The static library's objects call SLEEF. In the build tree it links the
# imported lossopt_sleef (wrapped in BUILD_INTERFACE in CMakeLists.txt, so the
# build-tree name never reaches the export); installed, it links lossopt::sleef,
# which lossoptConfig.cmake defines from the consumer's own find_library.
target_link_libraries(lossopt_static INTERFACE $<INSTALL_INTERFACE:lossopt::sleef>)

install(TARGETS lossopt lossopt_static
        EXPORT lossoptTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/lossopt.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The licence travels with every install and with the .deb (Debian keeps it
# as /usr/share/doc/<package>/copyright).
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/lossopt
        RENAME copyright)

# ---- CMake package: find_package(lossopt) ----------------------------------
install(EXPORT lossoptTargets
        NAMESPACE lossopt::
        FILE lossoptTargets.cmake
        DESTINATION ${LOSSOPT_INSTALL_CMAKEDIR})
configure_package_config_file(
    ${CMAKE_CURRENT_LIST_DIR}/lossoptConfig.cmake.in
    ${PROJECT_BINARY_DIR}/lossoptConfig.cmake
    INSTALL_DESTINATION ${LOSSOPT_INSTALL_CMAKEDIR})
# The SONAME changes with the major version, so the package promises the same.
write_basic_package_version_file(
    ${PROJECT_BINARY_DIR}/lossoptConfigVersion.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lossoptConfig.cmake
              ${PROJECT_BINARY_DIR}/lossoptConfigVersion.cmake
        DESTINATION ${LOSSOPT_INSTALL_CMAKEDIR})

# ---- pkg-config: lossopt.pc --------------------------------------------------
# lossopt.pc holds absolute paths (Debian's convention, and what
# PKG_CONFIG_SYSROOT_DIR expects), so its prefix is filled in at install time,
# when it is known: `cmake --install --prefix <dir>` gets <dir>, CPack's .deb
# gets /usr (CPack stages through DESTDIR, which is not part of the prefix).
# Everything else is filled in now; @LOSSOPT_PC_PREFIX@ survives this pass.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(LOSSOPT_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(LOSSOPT_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
set(LOSSOPT_PC_PREFIX "@LOSSOPT_PC_PREFIX@")
configure_file(${CMAKE_CURRENT_LIST_DIR}/lossopt.pc.in ${PROJECT_BINARY_DIR}/lossopt.pc.in @ONLY)
install(CODE "
  set(LOSSOPT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/lossopt.pc.in\" \"${PROJECT_BINARY_DIR}/pkgconfig/lossopt.pc\" @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/lossopt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- CPack: a .deb of everything installed (cpack -G DEB in the build tree) ----
# One package holds the runtime library, the development files and
# lossopt-info: small enough that a -dev split buys nothing yet. Only when
# lossopt is the top-level project: CPack's configuration is global, and a
# project that add_subdirectory()s lossopt packages itself.
if(NOT CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  return()
endif()
set(LOSSOPT_PACKAGE_MAINTAINER "lossopt dev <dev@lossopt.invalid>" CACHE STRING
    "Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lossopt)
set(CPACK_PACKAGE_VENDOR lossopt)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "lossopt: SIMD optimizer updates (SGD, RMSprop, Adam/AdamW/AMSGrad) and loss functions, with scalar, AVX2, AVX-512 and NEON variants that return bit-identical results. Shared and static library, header, CMake package, pkg-config file, the lossopt-info command and the Python package (ctypes; NumPy and PyTorch optional). MIT licence.")
set(CPACK_PACKAGE_CONTACT "${LOSSOPT_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LOSSOPT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
# libsleef3: the shared library and lossopt-info run against it; libsleef-dev:
# linking the static library needs libsleef.so (lossoptConfig.cmake and
# `pkg-config --static` name it).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libsleef3 (>= 3.5), libsleef-dev (>= 3.5)")
# The Python package needs only python3; NumPy and PyTorch add its array and
# torch.optim APIs. None of them is needed by the C library.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, python3-numpy, python3-torch")
# A shlibs file and the ldconfig trigger, so liblossopt.so.N is found at once.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)  # else CPack asks the build host's dpkg
endif()
include(CPack)
