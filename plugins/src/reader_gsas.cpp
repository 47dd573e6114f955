#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_gsas_readers(PluginHost&) {}
}
