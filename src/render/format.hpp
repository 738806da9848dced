// What every view is written as, and how a view hands over text it has gathered.
#pragma once

#include <functional>
#include <string>

namespace vmatlas {

enum class Format { Table, Json, Csv };

// Called with the text rendered so far when it grows large; it writes and empties it.
using Flush = std::function<void(std::string&)>;

}  // namespace vmatlas
