#pragma once
// Factories of the bundled readers and writers (internal to pxrd_formats).
#include <memory>

#include "pxrd/format_plugin.hpp"

namespace pxrd::formats::detail {

void add_text_readers(PluginHost& host);     // reader_text.cpp: xy/xye/dat/csv/txt, qye/qxy
void add_xylib_readers(PluginHost& host);    // reader_xylib.cpp: Bruker RAW v1-3, UXD, DBWS, RIET7/ILL, Philips RD/SD/UDF
void add_xrdml_reader(PluginHost& host);     // reader_xrdml.cpp
void add_gsas_readers(PluginHost& host);     // reader_gsas.cpp: STD/ESD/ALT, FXYE
void add_chi_reader(PluginHost& host);       // reader_chi.cpp: Fit2D and pyFAI .chi
void add_uxd_reader(PluginHost& host);       // reader_uxd.cpp: Bruker UXD (not xylib: it double-frees on bad files)
void add_pdcif_reader(PluginHost& host);     // reader_pdcif.cpp
void add_rigaku_readers(PluginHost& host);   // reader_rigaku.cpp: RAS, RASX
void add_bruker_readers(PluginHost& host);   // reader_bruker.cpp: RAW v4, BRML
void add_stoe_reader(PluginHost& host);      // reader_stoe.cpp
void add_writers(PluginHost& host);          // writers.cpp: xy, xye, pdCIF, FXYE

}  // namespace pxrd::formats::detail
