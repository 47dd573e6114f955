#pragma once
// The interface every pattern-file reader and writer implements, built-in or third-party.
//
// A third-party format is a shared library dropped into a plugin folder (see formats.hpp). It exports
//   extern "C" int pxrd_register_formats(pxrd::formats::PluginHost* host);
// which calls host->add_reader(...) / host->add_writer(...) and returns PXRD_FORMAT_PLUGIN_ABI.
// The interface is C++: a plugin must be built with the same compiler and standard library as the
// application (as with Qt plugins); the ABI number is checked before anything else is used.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pxrd/pattern.hpp"

// Bump whenever Pattern, Radiation, Reader, Writer or PluginHost change layout or virtual functions.
#define PXRD_FORMAT_PLUGIN_ABI 1

namespace pxrd::formats {

// Confidence returned by sniff(): 0 = certainly not this format, 100 = a magic number matched.
constexpr int kSniffNo = 0;
constexpr int kSniffWeak = 10;      // plausible (e.g. numbers in columns)
constexpr int kSniffLikely = 50;    // characteristic keywords
constexpr int kSniffCertain = 100;  // magic bytes / root element

class Reader {
 public:
  virtual ~Reader() = default;
  virtual std::string id() const = 0;                       // "xrdml", "bruker_raw", ...
  virtual std::string description() const = 0;             // one line for `pxrd-diff formats`
  virtual std::vector<std::string> extensions() const = 0;  // lower case, without the dot
  // How sure the reader is that a file starting with `head` (at most the first 16 KiB) is its format.
  // The extension is only a hint given to break ties; formats are picked by content.
  virtual int sniff(std::string_view head, std::string_view extension) const = 0;
  // Parses the whole file content. `path` is only used for messages and Pattern::source.
  // Throws pxrd::InputError(path, line or byte offset, cause) on bad input; never crashes.
  virtual Pattern read(const std::string& content, const std::string& path) const = 0;
};

// What a profile writer may need beyond the observed pattern (pdCIF stores them all).
struct ProfileExtras {
  std::vector<double> background;  // same length as the pattern, or empty
  std::vector<double> calculated;  // same length as the pattern, or empty
  double r_p = -1, r_wp = -1, r_exp = -1;  // negative when unknown
};

class Writer {
 public:
  virtual ~Writer() = default;
  virtual std::string id() const = 0;
  virtual std::vector<std::string> extensions() const = 0;
  // Returns the file content. Throws InputError when the pattern cannot be written in this format.
  virtual std::string write(const Pattern& pattern, const ProfileExtras& extras) const = 0;
};

// Handed to a plugin's entry point.
class PluginHost {
 public:
  virtual ~PluginHost() = default;
  virtual void add_reader(std::unique_ptr<Reader> reader) = 0;
  virtual void add_writer(std::unique_ptr<Writer> writer) = 0;
};

}  // namespace pxrd::formats

extern "C" {
// Implemented by each plugin; returns PXRD_FORMAT_PLUGIN_ABI on success.
typedef int (*pxrd_register_formats_fn)(pxrd::formats::PluginHost* host);
}
