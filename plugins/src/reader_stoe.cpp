#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_stoe_reader(PluginHost&) {}
}
