# Debian packages, made by `cpack -G DEB` in a build directory (scripts/package.sh):
#   vmatlas_VERSION_amd64.deb      the command, its man page, shell completions, the gdb
#                                  extension and the Python module (install component runtime)
#   vmatlas-dev_VERSION_amd64.deb  the library, its headers, the CMake package and the
#                                  pkg-config file (install component dev)
# Both install under /usr. The command's shared libraries (libc, libelf, libdw) become its
# Depends through dpkg-shlibdeps.
set(VMATLAS_PACKAGE_CONTACT "vmatlas maintainers <maintainers@users.noreply.h-seed-b0c960ac.example>"
  CACHE STRING "The Maintainer field of the Debian packages")

set(CPACK_PACKAGE_NAME vmatlas)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${VMATLAS_PACKAGE_CONTACT})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # NAME_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME vmatlas)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS gdb)
# The module is built for one Python version; it imports in no other.
if(VMATLAS_PYTHON_VERSION)
  string(REPLACE "." ";" _python_version ${VMATLAS_PYTHON_VERSION})
  list(GET _python_version 1 _python_minor)
  math(EXPR _python_next_minor "${_python_minor} + 1")
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS
    "python3 (>= ${VMATLAS_PYTHON_VERSION}), python3 (<< 3.${_python_next_minor})")
endif()
# A description's first line is the package's summary; the lines after it, its long description.
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "shows, names and queries the virtual memory map of a Linux process
vmatlas shows the memory map of a live process, a core file, a saved maps text, a snapshot
or an ELF file, with every mapping named (ELF segments, heap, stacks, arenas), in the
formats of pwndbg's vmmap, Solaris and procps pmap and mdb's ::mappings; it finds what is
at an address (mapping, segment, section, symbol, line) and compares maps. It comes with
a gdb extension (vmmap) and a Python module.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME vmatlas-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libelf-dev, libfmt-dev, nlohmann-json3-dev, pkg-config")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "library for the memory maps of Linux processes, core files and ELF files
The static library behind the vmatlas command, its C++ headers, a CMake package
(find_package(vmatlas) gives vmatlas::vmatlas) and a pkg-config file.")

include(CPack)
