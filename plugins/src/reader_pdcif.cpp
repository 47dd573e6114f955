#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_pdcif_reader(PluginHost&) {}
}
