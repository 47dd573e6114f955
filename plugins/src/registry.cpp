#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <mutex>
#include <new>

#include "builtin.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"
#include "util.hpp"

namespace pxrd::formats {

namespace {
// Files larger than this are refused before reading (no diffraction pattern comes close).
constexpr long long kMaxFileBytes = 2LL << 30;
constexpr std::size_t kSniffBytes = 16384;

std::string executable_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<std::size_t>(n));
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}
}  // namespace

struct Registry::Impl {
  struct R {
    std::unique_ptr<Reader> reader;
    std::string source;
  };
  struct W {
    std::unique_ptr<Writer> writer;
    std::string source;
  };
  // Declared before the readers so that the libraries are closed after the objects they define die.
  struct Library {
    void* handle = nullptr;
    ~Library() {
      if (handle) ::dlclose(handle);
    }
  };
  std::vector<std::unique_ptr<Library>> libraries;
  std::vector<R> readers;
  std::vector<W> writers;
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}

Registry::~Registry() {
  impl_->readers.clear();
  impl_->writers.clear();
}

Registry& Registry::instance() {
  static Registry* registry = [] {
    auto* r = new Registry();  // never destroyed: plugin code must outlive every static user
    r->add_builtin();
    std::vector<std::string> folders;
    if (const char* env = std::getenv("PXRD_PLUGIN_PATH")) {
      std::string s(env);
      std::size_t b = 0;
      while (b <= s.size()) {
        const auto e = std::min(s.find(':', b), s.size());
        if (e > b) folders.push_back(s.substr(b, e - b));
        b = e + 1;
      }
    }
    const std::string exe = executable_dir();
    if (!exe.empty()) folders.push_back(exe + "/../lib/pxrd-diff/plugins");
    for (const auto& f : folders) r->load_plugin_folder(f);
    return r;
  }();
  return *registry;
}

void Registry::add_builtin() {
  current_source_ = "built-in";
  detail::add_xylib_readers(*this);
  detail::add_xrdml_reader(*this);
  detail::add_gsas_readers(*this);
  detail::add_chi_reader(*this);
  detail::add_uxd_reader(*this);
  detail::add_pdcif_reader(*this);
  detail::add_rigaku_readers(*this);
  detail::add_bruker_readers(*this);
  detail::add_stoe_reader(*this);
  detail::add_text_readers(*this);
  detail::add_writers(*this);
}

void Registry::add_reader(std::unique_ptr<Reader> reader) {
  if (reader) impl_->readers.push_back({std::move(reader), current_source_});
}

void Registry::add_writer(std::unique_ptr<Writer> writer) {
  if (writer) impl_->writers.push_back({std::move(writer), current_source_});
}

void Registry::load_plugin(const std::string& library_path) {
  auto lib = std::make_unique<Impl::Library>();
  lib->handle = ::dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle) throw Error(library_path + ": cannot load plugin (" + ::dlerror() + ")");
  void* sym = ::dlsym(lib->handle, "pxrd_register_formats");
  if (!sym) throw Error(library_path + ": not a pxrd-diff format plugin (no pxrd_register_formats)");
  auto fn = reinterpret_cast<pxrd_register_formats_fn>(sym);
  const std::size_t readers_before = impl_->readers.size(), writers_before = impl_->writers.size();
  current_source_ = library_path;
  int abi = -1;
  try {
    abi = fn(this);
  } catch (const std::exception& e) {
    abi = -1;
    load_errors_.push_back(library_path + ": registration threw: " + e.what());
  }
  current_source_ = "built-in";
  if (abi != PXRD_FORMAT_PLUGIN_ABI) {
    impl_->readers.resize(readers_before);
    impl_->writers.resize(writers_before);
    throw Error(library_path + ": plugin ABI " + std::to_string(abi) + ", expected " +
                std::to_string(PXRD_FORMAT_PLUGIN_ABI));
  }
  impl_->libraries.push_back(std::move(lib));
}

int Registry::load_plugin_folder(const std::string& folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return 0;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  int loaded = 0;
  for (const auto& n : names) {
    try {
      load_plugin(folder + "/" + n);
      ++loaded;
    } catch (const std::exception& e) {
      load_errors_.push_back(e.what());
    }
  }
  return loaded;
}

std::vector<ReaderEntry> Registry::readers() const {
  std::vector<ReaderEntry> out;
  for (const auto& r : impl_->readers) out.push_back({r.reader.get(), r.source});
  return out;
}

std::vector<WriterEntry> Registry::writers() const {
  std::vector<WriterEntry> out;
  for (const auto& w : impl_->writers) out.push_back({w.writer.get(), w.source});
  return out;
}

const Reader* Registry::find_reader(const std::string& id) const {
  for (const auto& r : impl_->readers)
    if (r.reader->id() == id) return r.reader.get();
  return nullptr;
}

const Reader* Registry::detect(const std::string& content, const std::string& path) const {
  const std::string ext = detail::extension_of(path);
  const std::string_view head = std::string_view(content).substr(0, kSniffBytes);
  const Reader* best = nullptr;
  int best_score = 0;
  for (const auto& r : impl_->readers) {
    const int confidence = std::clamp(r.reader->sniff(head, ext), 0, 100);
    if (confidence == 0) continue;
    const auto exts = r.reader->extensions();
    const bool ext_match = std::find(exts.begin(), exts.end(), ext) != exts.end();
    const int score = confidence * 2 + (ext_match ? 1 : 0);
    if (score > best_score) {
      best_score = score;
      best = r.reader.get();
    }
  }
  return best;
}

const Writer* Registry::writer_for_path(const std::string& path) const {
  const std::string ext = detail::extension_of(path);
  for (const auto& w : impl_->writers) {
    const auto exts = w.writer->extensions();
    if (std::find(exts.begin(), exts.end(), ext) != exts.end()) return w.writer.get();
  }
  return nullptr;
}

namespace {
std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string read_checked(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError(path, 0, "cannot open the file (no such file?)");
  if (S_ISDIR(st.st_mode)) throw InputError(path, 0, "is a folder, not a pattern file");
  if (st.st_size > kMaxFileBytes)
    throw InputError(path, 0, "the file is " + std::to_string(st.st_size) + " bytes; patterns above 2 GiB are refused");
  // One read into a buffer of the right size (much faster than a stream copy for 10⁶-point files).
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return read_file(path);  // gives the usual "cannot open" error
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  const std::size_t got = content.empty() ? 0 : std::fread(&content[0], 1, content.size(), f);
  std::fclose(f);
  content.resize(got);
  return content;
}

// Messages quote file content: keep them on one printable line of bounded length.
std::string one_line(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (out.size() >= 300) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return trim_right(out);
}

Pattern run_reader(const Reader& reader, const std::string& content, const std::string& path) {
  Pattern p;
  try {
    p = reader.read(content, path);
  } catch (const InputError& e) {
    throw InputError(e.file(), e.line(), one_line(e.cause()));
  } catch (const std::bad_alloc&) {
    throw InputError(path, 0, reader.id() + ": not enough memory for the sizes the file states");
  } catch (const std::exception& e) {
    // xylib and plugins throw their own exception types; give them the same one-line form.
    throw InputError(path, 0, one_line(reader.id() + ": " + e.what()));
  }
  p.source = path;
  p.format = reader.id();
  finish_pattern(p);
  return p;
}
}  // namespace

Pattern Registry::read_content(const std::string& content, const std::string& path) const {
  if (content.empty()) throw InputError(path, 0, "the file is empty");
  const Reader* reader = detect(content, path);
  if (!reader) throw InputError(path, 0, "not a recognised pattern format (see 'pxrd-diff formats')");
  return run_reader(*reader, content, path);
}

Pattern Registry::read_content(const std::string& content, const std::string& path,
                               const std::string& reader_id) const {
  const Reader* reader = find_reader(reader_id);
  if (!reader) throw InputError(path, 0, "unknown format '" + reader_id + "' (see 'pxrd-diff formats')");
  if (content.empty()) throw InputError(path, 0, "the file is empty");
  return run_reader(*reader, content, path);
}

Pattern Registry::read(const std::string& path) const { return read_content(read_checked(path), path); }

Pattern Registry::read(const std::string& path, const std::string& reader_id) const {
  if (!find_reader(reader_id)) throw InputError(path, 0, "unknown format '" + reader_id + "' (see 'pxrd-diff formats')");
  return read_content(read_checked(path), path, reader_id);
}

void Registry::write(const Pattern& pattern, const std::string& path, const ProfileExtras& extras) const {
  const Writer* writer = writer_for_path(path);
  if (!writer)
    throw InputError(path, 0, "no writer for the extension '." + detail::extension_of(path) +
                                  "' (use .xy, .xye, .cif or .fxye)");
  pattern.validate();
  const std::size_t n = pattern.size();
  if ((!extras.background.empty() && extras.background.size() != n) ||
      (!extras.calculated.empty() && extras.calculated.size() != n))
    throw InputError(path, 0, "background or calculated column differs in length from the pattern");
  write_file_atomically(path, writer->write(pattern, extras));
}

Pattern read_pattern(const std::string& path) { return Registry::instance().read(path); }

Pattern read_pattern(const std::string& path, const std::string& reader_id) {
  return Registry::instance().read(path, reader_id);
}

void write_pattern(const Pattern& pattern, const std::string& path, const ProfileExtras& extras) {
  Registry::instance().write(pattern, path, extras);
}

void finish_pattern(Pattern& p) {
  const std::size_t n = p.x.size();
  if (n >= 2) {
    bool descending = true;
    for (std::size_t i = 1; i < n && descending; ++i) descending = p.x[i] < p.x[i - 1];
    if (descending) {
      std::reverse(p.x.begin(), p.x.end());
      std::reverse(p.y.begin(), p.y.end());
      std::reverse(p.esd.begin(), p.esd.end());
      p.history.push_back("reversed(descending x in the file)");
    }
  }
  p.validate();
}

}  // namespace pxrd::formats
