#pragma once
// Outputs are written atomically: to a temporary file in the same folder, then renamed over the target.
// A crash or a cancel never leaves a half-written file, and never destroys the previous version early.
#include <string>

namespace pxrd {

// Throws Error naming the path when the folder is not writable or the disk is full.
void write_file_atomically(const std::string& path, const std::string& content);
// Reads a whole file; throws InputError(path, 0, cause) when it cannot be opened.
std::string read_file(const std::string& path);

}  // namespace pxrd
