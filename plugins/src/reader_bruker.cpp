#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_bruker_readers(PluginHost&) {}
}
