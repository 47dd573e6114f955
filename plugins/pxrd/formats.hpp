#pragma once
// Reading and writing powder-pattern files. The format is picked by content (sniffing), not by extension.
//
//   pxrd::Pattern p = pxrd::formats::read_pattern("scan.raw");   // Bruker, STOE, ... decided by the bytes
//   pxrd::formats::write_pattern(p, "scan.xye");                 // writer chosen by the extension
//
// Bundled readers are linked into pxrd_formats. Third-party readers are shared libraries (see
// format_plugin.hpp) found in the folders of $PXRD_PLUGIN_PATH (':'-separated) and in
// <executable dir>/../lib/pxrd-diff/plugins; they are loaded the first time the registry is used.
#include <memory>
#include <string>
#include <vector>

#include "pxrd/format_plugin.hpp"
#include "pxrd/pattern.hpp"

namespace pxrd::formats {

struct ReaderEntry {
  const Reader* reader;
  std::string source;  // "built-in" or the path of the plugin library
};

struct WriterEntry {
  const Writer* writer;
  std::string source;
};

class Registry : public PluginHost {
 public:
  // The process-wide registry: built-in readers and writers, plus plugins from the default folders.
  static Registry& instance();
  // An empty registry (for tests); call add_builtin() and/or load_plugin_folder() on it.
  Registry();
  ~Registry() override;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void add_builtin();
  void add_reader(std::unique_ptr<Reader> reader) override;
  void add_writer(std::unique_ptr<Writer> writer) override;
  // Loads every *.so in `folder`. Returns the number of plugins loaded; a library that fails to load
  // or has the wrong ABI is skipped and described in load_errors().
  int load_plugin_folder(const std::string& folder);
  // Loads one plugin library; throws Error with the reason on failure.
  void load_plugin(const std::string& library_path);
  const std::vector<std::string>& load_errors() const { return load_errors_; }

  std::vector<ReaderEntry> readers() const;
  std::vector<WriterEntry> writers() const;
  const Reader* find_reader(const std::string& id) const;
  // The reader with the highest confidence for this content (ties go to the one listing the extension).
  // Returns nullptr when no reader recognises it.
  const Reader* detect(const std::string& content, const std::string& path) const;
  // A writer for the extension of `path` ("xy", "xye", "cif", "fxye", ...), or nullptr.
  const Writer* writer_for_path(const std::string& path) const;

  Pattern read(const std::string& path) const;
  Pattern read(const std::string& path, const std::string& reader_id) const;
  Pattern read_content(const std::string& content, const std::string& path) const;
  Pattern read_content(const std::string& content, const std::string& path, const std::string& reader_id) const;
  void write(const Pattern& pattern, const std::string& path, const ProfileExtras& extras = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> load_errors_;
  std::string current_source_ = "built-in";
};

// Reads a pattern with the process-wide registry; throws InputError(file, line/byte, cause).
// The result has passed Pattern::validate() (after documented repairs such as sorting descending x).
Pattern read_pattern(const std::string& path);
// Same, forcing a reader by id.
Pattern read_pattern(const std::string& path, const std::string& reader_id);
// Writes atomically; the writer is chosen by the extension (.xy, .xye, .cif, .fxye).
void write_pattern(const Pattern& pattern, const std::string& path, const ProfileExtras& extras = {});

// Repairs shared by the readers: if x is strictly decreasing, reverses all columns and records it in
// history; drops nothing silently. Then calls Pattern::validate(). Used by read().
void finish_pattern(Pattern& pattern);

}  // namespace pxrd::formats
