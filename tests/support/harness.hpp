// Everything a test of the command on a live process uses: scratch files, running the command,
// the demo and other children, /proc/PID/maps read by hand, and the command's output read back.
#pragma once

#include "support/child.hpp"
#include "support/cli_output.hpp"
#include "support/files.hpp"
#include "support/proc_maps.hpp"
#include "support/run.hpp"
