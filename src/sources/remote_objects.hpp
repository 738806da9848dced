// The ObjectReader of a gdbserver target: which file on this machine names the segments of each
// object the remote process maps (docs/remote.md, "Which file names a row's segments").
//
// Everything is read while the connection is open, before the ELF stage runs: for each mapped
// path, the first 64 KB of the remote file (through vFile:, the only packets sent) give its
// build-id, and the first of these that is the same object names its segments:
//   1. DIR + path, with --sysroot DIR;
//   2. the path on this machine;
//   3. the cache, CACHE/objects/<build-id in hex>;
//   4. the remote file read whole, then written into the cache (when it has a build-id).
// "The same object" is the same build-id, or, for objects without one, the same PT_LOAD headers.
// A remote read that fails leaves that object's rows without segment names, with one warning.
#pragma once

#include <memory>
#include <string>

#include "sources/object_reader.hpp"
#include "sources/remote_protocol.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas::remote {

struct ObjectSources {
    std::string sysroot;    // --sysroot DIR; empty: none
    std::string cache_dir;  // holds objects/<build-id>; empty: no cache (nothing written)
    // The largest remote file read whole.
    std::size_t max_file_bytes = std::size_t{512} << 20;
};

// The cache directory: $VMATLAS_CACHE_DIR, else $XDG_CACHE_HOME/vmatlas, else
// $HOME/.cache/vmatlas; empty when none of them is set.
std::string default_cache_dir();

// Reads what it needs of the objects of space's file rows through the stub (which must be
// connected) and returns the reader that names them. Only vFile:open, vFile:pread and vFile:close
// are sent.
std::shared_ptr<const ObjectReader> fetch_remote_objects(RemoteConnection& stub,
                                                         const AddressSpace& space,
                                                         const ObjectSources& sources);

}  // namespace vmatlas::remote
