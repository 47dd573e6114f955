#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_xrdml_reader(PluginHost&) {}
}
