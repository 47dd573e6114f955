#include "builtin.hpp"
namespace pxrd::formats::detail {
void add_rigaku_readers(PluginHost&) {}
}
