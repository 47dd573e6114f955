#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_writers(PluginHost&) {}
}
